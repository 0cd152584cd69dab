"""Authorization: who may do what, decided on every request after authentication.

- ``attributes.py`` — a request as :class:`~minikube_py.api.access.Attributes` (verb from
  the method and the path's shape) and the 403 ``Forbidden`` Status of a refusal;
- ``rules.py`` — a PolicyRule compiled for matching, and ``covers`` (escalation's test);
- ``policy.py`` — the index of roles and bindings by subject, kept current from the store;
- ``rbac.py`` — the RBAC authorizer over that index, and the authorizer modes
  (``AlwaysAllow``, ``RBAC``; ``system:masters`` always passes);
- ``headers.py`` — the ``Impersonate-*`` headers of an HTTP request, read by the front end;
- ``impersonation.py`` — what they ask for, checked with the ``impersonate`` verb;
- ``escalation.py`` — the admission plugin that refuses granting rights one does not hold;
- ``noderestriction.py`` — the admission plugin that keeps a kubelet to its own node;
- ``reviewer.py`` — the :class:`~minikube_py.api.access.Reviewer` the review kinds ask;
- ``bootstrappolicy.py`` — the default roles and bindings made at daemon start.
"""

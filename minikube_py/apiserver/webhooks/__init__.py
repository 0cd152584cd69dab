"""Admission webhooks: the apiserver calls the webhooks of the stored
admissionregistration.k8s.io/v1 configurations for the requests they match.

- ``matching.py``    which webhooks a write matches (rules, scope, selectors)
- ``client.py``      one HTTPS call with an ``admission.k8s.io/v1`` AdmissionReview (URL or
                     Service through its Endpoints, caBundle, timeout)
- ``dispatcher.py``  the two admission plugins, mutating and validating, that the
                     apiserver's chain (``apiserver/admission.py``) runs, over the stored
                     configurations kept current from a store watch
                     (``apiserver/storedobjects.py``: no list per request)
"""

"""The aggregation layer (Kubernetes' kube-aggregator), inside the apiserver:

- ``local.py``   one ``Local`` APIService per group-version the registry serves, kept
                 current as the registry changes (autoregister)
- ``remote.py``  APIServices with ``spec.service``: requests for their group-version (and
                 its discovery) are proxied to the Service over HTTPS, and a health check
                 keeps their ``Available`` condition
- ``openapi.py`` their OpenAPI v3 documents in the apiserver's ``/openapi/v3``
"""

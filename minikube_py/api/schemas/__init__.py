"""Field schemas of the built-in kinds, written in the DSL of ``api/schema.py``.

One module per API group (``core``, ``apps``, ``batch``, ``coordination``, ``autoscaling``,
``policy``), with core/v1's many parts split over ``core_pod``, ``core_container``,
``core_volume``, ``core_node`` and ``core_storage``; ``meta`` holds ObjectMeta and the other
shared meta types.
The registry (``api/registry.py``) maps each resource to the kind constant of its module, e.g.
``core.POD`` or ``apps.DEPLOYMENT``.

Field sets, required fields, enums and strategic-merge keys follow Kubernetes' ``types.go`` of
release 1.36, a superset of 1.32: a manifest a real cluster accepts has no field these schemas
call unknown. Alpha fields are known here as Kubernetes knows them (its schema has them whatever
the feature gates say); rarely used legacy sub-trees, such as the in-tree cloud volume sources,
are kept as opaque ``any_()`` fields.
"""

"""The API machinery every kind shares (Kubernetes' ``apimachinery``): object metadata helpers,
label and field selectors, the patch types (JSON merge, RFC 6902, strategic merge), field
paths, and server-side apply with field ownership (``managedFields``). Pure functions over
JSON-shaped dicts: no store, no clock, no I/O."""

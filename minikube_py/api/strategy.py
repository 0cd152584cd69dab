"""The strategy of a kind: everything the generic REST layer asks about one kind (the shape of
Kubernetes' ``rest.RESTCreateStrategy``, ``RESTUpdateStrategy``, ``RESTDeleteStrategy``, the
status strategy, field selectors and table printers).

Every kind is one module under ``api/kinds/<group>/`` holding its :class:`ResourceType` (path,
names, schema, subresources) and a :class:`Strategy` subclass with what differs for it, plus
one registration line in ``api/kinds/__init__.py``. The apiserver, admission, apply, OpenAPI
and printers ask the strategy; none of them branches on a kind's name.

What every kind gets without saying (the generic REST code does it): status set only through
``/status`` (a create drops it unless :attr:`Strategy.status_on_create`), spec kept by a
status update, ``metadata.generation`` 1 at create and bumped when :attr:`generation` parts
change or a deletion starts, ``metadata.name``/``namespace`` as field selectors, a printer of
NAME and AGE.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from minikube_py.api.access import Reviewer
from minikube_py.api.errors import Cause
from minikube_py.api.machinery.fieldselectors import DEFAULT_FIELDS, SelectableFields
from minikube_py.api.printers import DEFAULT_PRINTER, Printer, selector_string
from minikube_py.api.schema import Schema
from minikube_py.api.validation import names
from minikube_py.api.validation.structural import Decoded, decode
from minikube_py.api.wire import UserInfo


class Strategy:
    """Defaults of every hook: a kind overrides what differs for it."""

    #: Top-level fields whose change bumps ``metadata.generation`` ("annotations" means
    #: ``metadata.annotations``); empty for kinds Kubernetes keeps no generation for.
    generation: ClassVar[tuple[str, ...]] = ()
    #: Whether a create keeps the status it was given (Nodes and PVs report their own).
    status_on_create: ClassVar[bool] = False
    #: Whether a DELETE that removes the object at once answers with the object (Kubernetes'
    #: ``ReturnDeletedObject``: pods, services) rather than a Success Status.
    return_deleted_object: ClassVar[bool] = False
    #: ``metadata`` fields an update through ``/status`` may change too (Kubernetes'
    #: Deployment status strategy keeps only spec and labels, so the controller records the
    #: revision annotation with its status write, without bumping the generation).
    status_metadata: ClassVar[tuple[str, ...]] = ()
    #: The fields a field selector may name, and how an object exposes them.
    fields: SelectableFields = DEFAULT_FIELDS
    #: Fields of :attr:`fields` the store indexes, so that selecting by them costs the
    #: matches (``spec.nodeName`` of pods: every kubelet lists its own).
    indexed_fields: ClassVar[tuple[str, ...]] = ()
    #: For a kind stored as another (``ResourceType.stored_as``): its field labels that are
    #: the stored kind's under another name (Kubernetes' field label conversion), so that
    #: the stored kind's indexes serve its selectors.
    storage_field_labels: ClassVar[Mapping[str, str]] = {}
    #: The columns of ``kubectl get`` (an instance may have its own: a custom resource's
    #: come from its CRD's ``additionalPrinterColumns``).
    printer: Printer = DEFAULT_PRINTER
    #: Cluster-wide allocations the apiserver makes for this kind on create (e.g.
    #: "cluster-ip"); the allocators live with the apiserver's storage.
    allocations: ClassVar[tuple[str, ...]] = ()
    #: Whether an object may still be created in a namespace that is terminating.
    creatable_in_terminating_namespace: ClassVar[bool] = False
    # Not stored: get/list answered by the component that registered this provider name
    # with the apiserver (``ApiServer.providers``), e.g. "metrics" (metrics.k8s.io).
    provider: ClassVar[str | None] = None
    #: Whether PATCH takes ``application/strategic-merge-patch+json`` (custom resources do
    #: not: Kubernetes answers 415, as their schemas carry no merge keys).
    strategic_merge: ClassVar[bool] = True
    #: The ``apiVersion`` objects are stored in (custom resources, conversion ``None``: the
    #: CRD's storage version); "" stores what is served. When set, the REST layer rewrites
    #: ``apiVersion`` on the way in and out.
    storage_api_version: str = ""
    #: A warning every request of this version gets (a CRD's deprecated version); "" none.
    deprecation: str = ""

    def to_storage(self, obj: dict[str, Any]) -> None:
        """An object of the served version as it is stored, in place (called only when
        :attr:`storage_api_version` is set)."""
        obj["apiVersion"] = self.storage_api_version

    def from_storage(self, obj: dict[str, Any], api_version: str) -> None:
        """A stored object as ``api_version`` serves it, in place (only when
        :attr:`storage_api_version` is set; custom resources also default it, as Kubernetes
        defaults what it reads from etcd)."""
        obj["apiVersion"] = api_version

    # -- decoding --------------------------------------------------------------------------

    def decode(self, schema: Schema | None, obj: dict[str, Any]) -> Decoded:
        """Structural decode of a body, in place (unknown fields pruned): Go's decoding
        against the kind's schema tree (``api/validation/structural.py``). A custom resource
        prunes against its CRD's schema and reports type errors from :meth:`validate`."""
        return decode(schema, obj) if schema is not None else Decoded()
    #: Whether objects of the kind are stored. A kind that is not (the access and token
    #: reviews) serves only ``create``: the REST layer decodes, defaults and validates the
    #: body, then :meth:`answer` fills it in and it is returned, never written.
    stored: ClassVar[bool] = True
    #: Whether admission webhooks are called for writes of this kind (Kubernetes never
    #: calls them for webhook configurations, so a broken webhook cannot lock them out).
    webhook_admission: ClassVar[bool] = True

    # -- create and update -----------------------------------------------------------------

    def empty_status(self) -> dict[str, Any] | None:
        """The status of an object nothing has reported on yet (a kind's empty status); None
        leaves it out until something reports (custom resources)."""
        return {}

    def generation_view(self, obj: dict[str, Any]) -> list[Any]:
        """The parts of ``obj`` whose change bumps ``metadata.generation``."""
        meta = obj.get("metadata") or {}
        return [(meta.get("annotations") or {}) if part == "annotations" else obj.get(part)
                for part in self.generation]

    def check_name(self, name: str) -> list[str]:
        """What is wrong with ``name`` for this kind (most kinds: a DNS-1123 subdomain)."""
        return names.is_dns1123_subdomain(name)

    def default(self, obj: dict[str, Any]) -> None:
        """Fill defaulted fields (Kubernetes' SetDefaults_X), on every create and update."""

    def prepare_for_create(self, obj: dict[str, Any]) -> None:
        """Kind-specific system fields of a new object (after the generic ones)."""

    def prepare_for_create_by(self, obj: dict[str, Any], user: UserInfo | None) -> None:
        """What a create records of who made it (a CertificateSigningRequest's requester);
        ``user`` is None for the apiserver's own writes."""

    def prepare_for_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        """Kind-specific rules of an update of the object itself."""

    def prepare_for_status_update(self, new: dict[str, Any], old: dict[str, Any]) -> None:
        """Kind-specific rules of an update through ``/status`` (after spec is restored)."""

    def prepare_for_approval(self, new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
        """What an ``/approval`` write stores (kinds with that subresource define it)."""
        raise NotImplementedError(f"{type(self).__name__} has no approval subresource")

    def validate(self, obj: dict[str, Any]) -> list[Cause]:
        """Field errors of a new object, besides ObjectMeta's."""
        return []

    def validate_update(self, new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
        """Field errors of an update (``validate(new)`` has been run already)."""
        return []

    def warnings_on_create(self, obj: dict[str, Any]) -> list[str]:
        return []

    async def answer(self, obj: dict[str, Any], *, user: UserInfo,
                     reviewer: Reviewer) -> dict[str, Any]:
        """The answer to a create of a kind that is not :attr:`stored` (``obj`` validated;
        ``user`` is who asks; ``reviewer`` the apiserver's authorizer and authenticators)."""
        raise NotImplementedError(f"{type(self).__name__} is stored: it has no answer")
    # -- versions --------------------------------------------------------------------------

    def to_shared_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        """The object in its stored version (a kind ``stored_as`` another converts here:
        Kubernetes' conversion to the storage version). May change ``obj``."""
        return obj

    def from_shared_storage(self, obj: dict[str, Any]) -> dict[str, Any]:
        """A stored object in this kind's version (the inverse of :meth:`to_shared_storage`)."""
        return obj

    # -- delete ----------------------------------------------------------------------------

    def grace_period(self, obj: dict[str, Any], requested: int | None) -> int | None:
        """Seconds a graceful deletion gives the object, or None to delete it at once
        (Kubernetes' CheckGracefulDelete: only pods wait for their kubelet)."""
        return None

    def begin_deletion(self, obj: dict[str, Any]) -> bool:
        """Mark what a deletion means for this kind; True if the object must stay until a
        controller finishes it even without finalizers (Namespaces)."""
        return False

    def deletion_in_progress(self, obj: dict[str, Any]) -> str | None:
        """Why a second delete of an object being deleted is refused (None: it is not)."""
        return None

    def removable(self, obj: dict[str, Any]) -> bool:
        """Whether an object whose deletion started and whose finalizers are gone may go."""
        return True

    # -- the scale subresource -------------------------------------------------------------

    def scale_of(self, obj: dict[str, Any]) -> tuple[int, int, str]:
        """What ``/scale`` shows of an object: spec replicas, status replicas, and the
        label selector as a string (workloads: ``spec.selector``)."""
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return (int(spec.get("replicas", 0) or 0), int(status.get("replicas", 0) or 0),
                selector_string(spec.get("selector")))

    def replicas_patch(self, replicas: int) -> dict[str, Any]:
        """The merge patch a write of ``/scale`` makes to the object."""
        return {"spec": {"replicas": replicas}}

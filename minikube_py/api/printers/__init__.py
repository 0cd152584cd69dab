"""Server-side Table printers (what ``kubectl get`` shows): ``base`` holds the columns, cells
and shared helpers, ``core`` and ``workloads`` the printers each kind's strategy names."""

from minikube_py.api.printers.base import (
    CUSTOM_DEFAULT,
    DEFAULT_PRINTER,
    Column,
    Printer,
    format_labels,
    format_selector,
    selector_string,
)

__all__ = ["CUSTOM_DEFAULT", "DEFAULT_PRINTER", "Column", "Printer", "format_labels",
           "format_selector", "selector_string"]

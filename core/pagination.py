from __future__ import annotations

from math import ceil
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property


class CappedPaginator(Paginator[Any]):
    """Serves at most ``max_pages`` pages of a result; ``count`` stays the size of the whole result.

    Nobody reads page 2,000 of a 64,000-row list: they narrow the filters or search. Deep pages are
    also the slow ones (the database reads and skips every row before the OFFSET), so a list can
    stop at a page number no one needs and say so (``capped``, ``shown``).
    """

    def __init__(self, object_list: Any, per_page: int, *, max_pages: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.max_pages = max(1, max_pages)

    @cached_property
    def total_pages(self) -> int:
        """The pages of the whole result, served or not (Django's own ``num_pages``)."""
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        return ceil(max(1, self.count - self.orphans) / self.per_page)

    @cached_property
    def num_pages(self) -> int:
        return min(self.total_pages, self.max_pages)

    @property
    def capped(self) -> bool:
        """Whether some rows are past the last page served."""
        return self.total_pages > self.max_pages

    @property
    def shown(self) -> int:
        """How many rows the served pages hold."""
        return min(self.count, self.num_pages * self.per_page)


def paginate(
    request: HttpRequest, queryset: QuerySet[Any], per_page: int | None = None, *, max_pages: int | None = None
) -> Page[Any]:
    """The requested page; a page number out of range gives the last page, not an error.

    With ``max_pages``, pages past it are not served: a number beyond it gives the last page served.
    """
    size = per_page or settings.PAGE_SIZE
    paginator = Paginator(queryset, size) if max_pages is None else CappedPaginator(queryset, size, max_pages=max_pages)
    return paginator.get_page(request.GET.get("page"))


def querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()

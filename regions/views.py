from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.pagination import paginate, querystring_without_page
from core.scoping import get_for_user_or_404
from regions import selectors
from regions.models import Region


@login_required
def region_index(request: HttpRequest) -> HttpResponse:
    roots = selectors.region_roots_for(request.user)
    return render(request, "regions/region_index.html", {"roots": roots})


@login_required
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = get_for_user_or_404(Region, request.user, code=code)
    query = request.GET.get("q", "").strip()
    children = selectors.children_of(request.user, region, query)
    organisations = region.organisations.filter(is_active=True).order_by("kind", "name")
    ancestors = [a for a in region.ancestors() if Region.objects.for_user(request.user).filter(pk=a.pk).exists()]
    return render(
        request,
        "regions/region_detail.html",
        {
            "region": region,
            "ancestors": ancestors,
            "page": paginate(request, children, per_page=50),
            "querystring": querystring_without_page(request),
            "query": query,
            "organisations": organisations,
        },
    )

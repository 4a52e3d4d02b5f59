from django.urls import path

from regions import views

urlpatterns = [
    path("", views.region_index, name="region_index"),
    path("<str:code>/", views.region_detail, name="region_detail"),
]

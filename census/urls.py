from django.urls import path

from census import views

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/sign/", views.campaign_sign, name="campaign_sign"),
    path("<int:pk>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    path("<int:pk>/township/<str:code>/", views.township_progress, name="township_progress"),
    path("<int:pk>/township/<str:code>/countersign/", views.township_countersign, name="township_countersign"),
    path("<int:pk>/village/<str:code>/", views.village_return, name="village_return"),
    path("<int:pk>/village/<str:code>/certify/", views.village_certify, name="village_certify"),
    path("<int:pk>/village/<str:code>/reopen/", views.village_reopen, name="village_reopen"),
]

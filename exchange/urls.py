from django.urls import path

from exchange import views

urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("upload/", views.batch_upload, name="batch_upload"),
    path("template/<slug:kind>.xlsx", views.template_download, name="exchange_template"),
    path("monthly/<slug:target>.xlsx", views.monthly_export, name="monthly_export"),
    path("<int:pk>/", views.batch_detail, name="batch_detail"),
    path("<int:pk>/rejected.xlsx", views.batch_errors, name="batch_errors"),
    path("<int:pk>/results.xlsx", views.batch_results, name="batch_results"),
    path("<int:pk>/apply/", views.batch_apply, name="batch_apply"),
    path("<int:pk>/discard/", views.batch_discard, name="batch_discard"),
    path("<int:pk>/undo/", views.batch_undo, name="batch_undo"),
    path("discrepancies/", views.discrepancy_list, name="discrepancy_list"),
    path("discrepancies.xlsx", views.discrepancy_export, name="discrepancy_export"),
    path("discrepancies/<int:pk>/", views.discrepancy_detail, name="discrepancy_detail"),
    path("discrepancies/<int:pk>/merge/", views.discrepancy_merge, name="discrepancy_merge"),
    path("completeness/", views.completeness, name="completeness"),
]

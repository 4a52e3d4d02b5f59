from django.urls import path

from registry import views

urlpatterns = [
    path("", views.child_list, name="child_list"),
    path("new/", views.child_create, name="child_create"),
    path("ledger.xlsx", views.ledger_export, name="ledger_export"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/request/", views.transfer_request, name="transfer_request"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("<int:pk>/", views.child_detail, name="child_detail"),
    path("<int:pk>/transfer/", views.transfer_send, name="transfer_send"),
    path("<int:pk>/edit/", views.child_update, name="child_update"),
    path("<int:pk>/reveal/", views.child_reveal, name="child_reveal"),
    path("<int:pk>/print/", views.child_print, name="child_print"),
    path("<int:pk>/dossier.pdf", views.child_pdf, name="child_pdf"),
    path("<int:pk>/entrustment-scan/", views.entrustment_scan, name="entrustment_scan"),
    path("<int:pk>/change/entrustment-scan/", views.change_scan, name="child_change_scan"),
    path("<int:pk>/<slug:action>/", views.child_action, name="child_action"),
]

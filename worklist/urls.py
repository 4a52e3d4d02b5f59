from django.urls import path

from worklist import views

urlpatterns = [path("", views.todo_list, name="todo_list")]

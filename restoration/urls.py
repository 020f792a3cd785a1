from django.urls import path

from restoration import views

urlpatterns = [
    path("", views.home, name="restoration-home"),
    path("healthz", views.healthz, name="restoration-healthz"),
]

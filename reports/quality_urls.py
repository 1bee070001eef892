from django.urls import path

from reports import quality_views

urlpatterns = [
    path("quality/", quality_views.queue, name="quality"),
    path("quality/sample/", quality_views.sample, name="quality_sample"),
    path("quality/reviews/<int:review_id>/", quality_views.review, name="quality_review"),
    path("quality/reviews/<int:review_id>/resolve/", quality_views.resolve, name="quality_resolve"),
    path("quality/mine/", quality_views.mine, name="quality_mine"),
    path("quality/mine/<int:review_id>/appeal/", quality_views.appeal, name="quality_appeal"),
]

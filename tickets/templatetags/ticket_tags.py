from django import template

from tickets.tag_labels import label_for

register = template.Library()

register.filter("tag_label", label_for)

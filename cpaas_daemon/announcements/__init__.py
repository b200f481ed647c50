"""OTP announce templates per account, and the text renderers for OTP and campaign prompts."""

from cpaas_daemon.announcements.repository import AnnounceTemplateRepository
from cpaas_daemon.announcements.templates import AnnounceTemplate, render, validate_otp
from cpaas_daemon.announcements.text import render_fields, spoken_digits

__all__ = [
    "AnnounceTemplate",
    "AnnounceTemplateRepository",
    "render",
    "render_fields",
    "spoken_digits",
    "validate_otp",
]

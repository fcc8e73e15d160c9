"""Reflex UI: state, components and pages."""

"""Ally Coach: a hands-free voice coach for couples (Alexa custom skill)."""

"""Joining a collectivité, inviting colleagues, managing members."""

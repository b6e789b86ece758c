"""A collectivité's fiches actions: list, create, edit, files, submit for moderation."""

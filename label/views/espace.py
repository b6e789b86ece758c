"""The member's space /espace/: collectivités, candidatures, fiches, what to do next."""

"""Building a candidature: questionnaire, fiches, attachments, mosaïque des enjeux, autosave."""

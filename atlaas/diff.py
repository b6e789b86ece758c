"""Differences between a published fiche and its revision, for the moderation page.

Pure functions: they take values or rows already loaded and return HTML-escaped safe strings or
plain lists; nothing here touches the database.
"""

import datetime
import difflib
import re
from dataclasses import dataclass

from django.utils.formats import date_format, number_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .typographie import premier_du_mois

# words, runs of spaces, and each punctuation mark on its own
TOKENS = re.compile(r"\w+|\s+|[^\w\s]")
WORD = re.compile(r"\w")
# sentences and lines, each with what ends it
SENTENCES = re.compile(r"[^.!?\n]*(?:[.!?]+\s*|\n|$)")
# beyond this many words and spaces, a changed passage is shown as removed then added
MAX_TOKENS = 3000


def display(value):
    """A field's value as the text a reader sees (empty for no value)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, datetime.date):
        return premier_du_mois(date_format(value, "j F Y"))
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    return str(value).replace("\r\n", "\n")


def _deleted(text):
    return format_html('<del><span class="visually-hidden">{} </span>{}</del>', _("supprimé :"), text)


def _inserted(text):
    return format_html('<ins><span class="visually-hidden">{} </span>{}</ins>', _("ajouté :"), text)


def diff_words(old, new):
    """``new`` with the words taken out of ``old`` in ``<del>`` and the words added in ``<ins>``,
    each announced to screen readers; everything else escaped. Newlines are kept as they are.

    Sentences are compared first, then the words of the sentences that changed: a long text
    with a small change costs little, whatever its length."""
    a, b = _sentences(old or ""), _sentences(new or "")
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        before, after = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            parts.append(escape(after))
        elif op == "replace":
            parts.append(_diff_tokens(before, after))
        else:
            parts.append(_deleted(before) if before else "")
            parts.append(_inserted(after) if after else "")
    return mark_safe("".join(parts))  # every piece above is escaped


def _sentences(text):
    return [sentence for sentence in SENTENCES.findall(text) if sentence]


def _diff_tokens(old, new):
    """The word-level diff of two passages (safe HTML)."""
    a, b = TOKENS.findall(old), TOKENS.findall(new)
    if len(a) + len(b) > MAX_TOKENS:
        return _deleted(old) + _inserted(new)
    # [old text, new text, changed]; spaces or punctuation alone between two changes join them,
    # so that a rewritten sentence reads as one deletion and one insertion, not word by word.
    chunks = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        before, after = "".join(a[i1:i2]), "".join(b[j1:j2])
        chunks.append([before, after, op != "equal"])
    for index in range(1, len(chunks) - 1):
        if not WORD.search(chunks[index][0]) and chunks[index - 1][2] and chunks[index + 1][2]:
            chunks[index][2] = True
    merged = []
    for chunk in chunks:
        if merged and chunk[2] and merged[-1][2]:
            merged[-1][0] += chunk[0]
            merged[-1][1] += chunk[1]
        else:
            merged.append(chunk)
    parts = []
    for before, after, changed in merged:
        if not changed:
            parts.append(escape(after))
            continue
        if before:
            parts.append(_deleted(before))
        if after:
            parts.append(_inserted(after))
    return mark_safe("".join(parts))  # every piece above is escaped


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    diff: str  # safe HTML from diff_words


def field_changes(old, new, fields):
    """The fields of two rows of one model whose values differ, with their word-level diff;
    unchanged fields are left out."""
    changes = []
    for name in fields:
        before, after = display(getattr(old, name)), display(getattr(new, name))
        if before == after:
            continue
        label = capfirst(type(new)._meta.get_field(name).verbose_name)
        changes.append(FieldChange(name, str(label), diff_words(before, after)))
    return changes


@dataclass(frozen=True)
class ListChanges:
    removed: list
    added: list

    def __bool__(self):
        return bool(self.removed or self.added)


def list_changes(old, new, key=lambda item: item):
    """The items of ``old`` missing from ``new`` and those of ``new`` missing from ``old``,
    compared by ``key``, each in its list's order."""
    old_keys = {key(item) for item in old}
    new_keys = {key(item) for item in new}
    return ListChanges(
        removed=[item for item in old if key(item) not in new_keys],
        added=[item for item in new if key(item) not in old_keys],
    )

"""Small named exceptions of the search core. Turned into user messages only at the edges."""


class ChidaoError(Exception):
    """Base class: every error the core raises on purpose."""


class BadDocument(ChidaoError):
    """A corpus file that cannot be read (wrong encoding, broken, empty, too big, no text layer)."""


class NotReady(ChidaoError):
    """Something a command needs is not there yet (no index, a damaged one, the database or Telegram out of
    reach): the command line exits with 3 for these, not with 1 (a failure) or 2 (a usage error)."""


class CorpusNotFound(ChidaoError):
    """The corpus directory (a setting or an argument) does not exist."""


class IndexNotBuilt(NotReady):
    """No index at the configured directory."""


class ModelMismatch(NotReady):
    """The index was built with another embedding model than the one configured."""


class IndexCorrupt(NotReady):
    """The index directory exists but its files do not agree with its manifest."""


class ModelNotFound(ChidaoError):
    """The configured embedding model is neither an installed model package, a model directory, nor a
    model that sentence-transformers can load (offline)."""


class DocumentTooLarge(BadDocument):
    """A corpus file over one of its reading budgets (size, unpacked size, paragraphs, passages, parse time
    or memory; see index/budget.py)."""


class BuildLocked(NotReady):
    """Another process holds the index build lock (and the caller chose not to wait)."""

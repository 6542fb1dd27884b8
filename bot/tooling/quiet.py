"""`python -m bot.tooling.quiet rasa|rasa_sdk ARGS`: Rasa's (or the action server's) own command
line, without its libraries' notices.

Every Rasa and action-server process the project starts (make run, shell, train, reload; the
tests' servers) goes through here. PYTHONWARNINGS cannot keep those notices out: sanic turns DeprecationWarning
back on for the whole process (`filterwarnings("once", DeprecationWarning)`), and Rasa, once
started, puts `("once", UserWarning)` first, which lets pyparsing's deprecations through
(PyparsingDeprecationWarning is both). A page of notices about Rasa's dependencies (pkg_resources,
pyparsing, click, distutils, SQLAlchemy's URL()) came before `make shell`'s first prompt. They say
nothing to whoever runs the bot and nothing about this project, so they are dropped where
warnings are shown, whatever filters come later; warnings about the project's data (UserWarning)
still show, except Rasa 3.6.21's false one.
"""
from __future__ import annotations

import runpy
import sys
import warnings
from typing import Any, List, Optional, TextIO

NOTICES = (DeprecationWarning, PendingDeprecationWarning)
# Rasa 3.6.21 says this of every domain with slots (see content_checks/rasa_validation.py).
FALSE_ALARMS = ("Slot auto-fill has been removed",)


def is_notice(message: Any, category: type) -> bool:
    return issubclass(category, NOTICES) or any(text in str(message) for text in FALSE_ALARMS)


def quiet_warnings() -> None:
    """Ignore the libraries' notices now (after sanic's filter) and whatever filters come later."""
    import sanic  # noqa: F401 - imported for its side effect on the warning filters

    for category in NOTICES:
        warnings.filterwarnings("ignore", category=category)
    for text in FALSE_ALARMS:
        warnings.filterwarnings("ignore", message=text)
    show = warnings.showwarning

    def show_unless_notice(message: Any, category: type, filename: str, lineno: int,
                           file: Optional[TextIO] = None, line: Optional[str] = None) -> None:
        if not is_notice(message, category):
            show(message, category, filename, lineno, file, line)

    warnings.showwarning = show_unless_notice


PROGRAMS = ("rasa", "rasa_sdk", "bot.action_server")  # the modules this runs as `python -m <module>`


def import_skops_before_tensorflow() -> None:
    """The intent classifier (bot/nlu/intent_classifier.py) persists with skops, whose import looks
    each of ~750 trusted types up across sys.modules. After TensorFlow's thousands of modules that
    took ~8 s of every `rasa train` and every server start on the 2-core machine; first, ~2.5 s.
    The trusted types come out the same (checked when this was written)."""
    try:
        import skops.io  # noqa: F401
    except ImportError:  # the classifier no longer uses it
        pass


def main(argv: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in PROGRAMS:
        sys.exit(f"usage: python -m bot.tooling.quiet {{{'|'.join(PROGRAMS)}}} ARGS")
    quiet_warnings()
    if args[0] == "rasa":
        from bot.rasa_patches import keep_jax_out

        keep_jax_out()  # about 65 MB that TensorFlow would import and never use
        from bot.without_tensorflow import keep_out_if_safe

        # A served model with no TensorFlow component: the ~300 MB of TensorFlow stay out (before Rasa's imports).
        keep_out_if_safe(args[1:])
        import_skops_before_tensorflow()
    sys.argv = [args[0], *args[1:]]
    runpy.run_module(args[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

"""`mlopsgen init`: a new model folder, asked for (or given) its answers, validated, rendered."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from mlopsgen.commands import console
from mlopsgen.errors import ExitCode, MlopsgenError, UsageError

Ask = Callable[[str, str, str | None], str]  # (key, help, default) -> the answer


def parse_sets(items: list[str]) -> dict[str, str]:
    from mlopsgen.scaffold import KEYS

    answers: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in KEYS:
            raise UsageError(f"--set {item!r}: expected key=value, key one of {', '.join(KEYS)}")
        answers[key] = value
    return answers


def read_answers(path: Path | None) -> dict[str, str]:
    """An answers file: a YAML mapping of the same keys as --set."""
    if path is None:
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"--answers {path}: cannot read it ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"--answers {path}: expected a mapping of answers")
    return parse_sets([f"{k}={'' if v is None else v}" for k, v in data.items()])


def collect(given: Mapping[str, str], folder: Path, ask: Ask | None) -> dict[str, str]:
    """Every answer: given, else asked (with the schema's help and a default), else the
    default; with no way to ask (--no-input), a missing answer without default is an error."""
    from mlopsgen.scaffold import QUESTIONS, default, help_text

    answers: dict[str, str] = {}
    missing = []
    for question in QUESTIONS:
        fallback = default(question.key, answers, folder.resolve().name)
        if question.key in given:
            answers[question.key] = given[question.key]
        elif ask is not None:
            answers[question.key] = ask(question.key, help_text(question), fallback)
        elif fallback is not None:
            answers[question.key] = fallback
        else:
            missing.append(question.key)
    if missing:
        raise UsageError(f"init --no-input needs: {', '.join(f'--set {k}=...' for k in missing)}")
    return answers


def run_init(folder: Path, given: Mapping[str, str], ask: Ask | None) -> ExitCode:
    """Write the new model folder; it is validated before anything is written and rendered
    after, exactly as `mlopsgen render` would."""
    from mlopsgen import report, writer
    from mlopsgen.commands.files import run_render
    from mlopsgen.scaffold import SPEC_FILE, scaffold
    from mlopsgen.spec.compile import compile_text, repo_origin

    answers = collect(given, folder, ask)
    files = scaffold(answers)
    spec_path = folder / SPEC_FILE
    contents = {a.path: a.text.encode("utf-8") for a in files}
    result = compile_text(
        contents[SPEC_FILE].decode("utf-8"),
        spec_path,
        origin=repo_origin(spec_path),
        read_file=contents.get,
    )
    if result.spec is None:
        console.out(report.as_text(result.diagnostics))
        raise MlopsgenError(f"{spec_path}: the answers make an invalid spec; nothing was written")
    writer.create_new(folder, files)
    console.out("".join(f"create     {folder / a.path}\n" for a in files))
    return run_render([spec_path], None, force=False)

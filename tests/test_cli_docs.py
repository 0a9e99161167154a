"""`docs/cli.md` is generated from the commands: it must match them."""

from pathlib import Path

from icsight.cli import docs, main

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_generated_from_the_commands():
    on_disk = (ROOT / "docs" / "cli.md").read_text()
    assert on_disk == docs.render(), "run `make docs` to regenerate docs/cli.md"


def test_every_command_and_option_is_in_the_reference():
    rendered = docs.render()

    def walk(command, path):
        assert f"`{' '.join(path)}`" in rendered, path
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert f"`{opt}" in rendered, (path, opt)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(main, ["icsight"])

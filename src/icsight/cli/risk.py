"""`icsight risk`: train the emergency admission risk model on a lake (`train`), or train it,
validate it on the later year and write its model card (`card`)."""

from __future__ import annotations

from pathlib import Path

import click

from icsight.cli._console import console, fail
from icsight.cli._options import LakeFolder, OutputFile, opened_lake, purpose_option

__all__ = ["risk"]


_MODEL_FILE = OutputFile(".json", "risk-model.json")


@click.group()
def risk() -> None:
    """Emergency admission risk in the next 12 months: train the model, write its model card.

    The model is trained at the lake's last day minus 24 months and validated on the year
    after (a temporal split); `docs/model-card.md` says how well it does and for whom."""


@risk.command("train")
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake to train on.")
@click.option("--model", "model_path", required=True, type=_MODEL_FILE,
              help="Where the model is saved (JSON; replaced if it exists).")
@purpose_option
def train_command(lake_dir: Path, model_path: Path, purpose: str) -> None:
    """Train the model and its last-year-of-life flag, and save them with their version."""
    from icsight.risk.admissions import train

    lake = opened_lake(lake_dir, purpose)
    try:
        model = train(lake)
    except ValueError as e:  # a lake too small or too short to learn from
        fail(e)
    model.save(model_path)
    t = model.training
    console.print(f"[green]Trained[/green] {model.version} on {t['people']:,} people "
                  f"registered on {model.spec['train_as_of']}; saved to {model_path}")


@risk.command("card")
@click.option("--lake", "lake_dir", required=True, type=LakeFolder(),
              help="The lake to train and validate on.")
@click.option("--out", "out_path", default="docs/model-card.md", show_default=True,
              type=OutputFile(".md", "model-card.md"),
              help="Where the model card (Markdown) is written.")
@click.option("--model", "model_path", default=None, type=_MODEL_FILE,
              help="Also save the trained model here (JSON).")
@purpose_option
def card_command(lake_dir: Path, out_path: Path, model_path: Path | None,
                 purpose: str) -> None:
    """Train the model, validate it on the later year, and write its model card: AUROC,
    calibration and Brier score beside the baseline, by sex, ethnic group and deprivation,
    and the last-year-of-life flag's accuracy. An ICB retrains on its own lake with this."""
    from icsight.risk.card import write_model_card

    lake = opened_lake(lake_dir, purpose)
    try:
        model, ev = write_model_card(lake, out_path, model_path)
    except ValueError as e:
        fail(e)
    lg = ev.overall.set_index("model")
    console.print(f"[green]Wrote[/green] {out_path}: model {model.version}, validation AUROC "
                  f"{lg.loc['lightgbm', 'auroc']:.3f} (baseline "
                  f"{lg.loc['baseline', 'auroc']:.3f})")

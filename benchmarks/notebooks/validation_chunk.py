# ---
# jupyter:
#   kernelspec:
#     display_name: Python (workbench)
#     language: python
#     name: workbench
# ---

# %% [markdown]
# # Validation study: one chunk of replicates
#
# **The question.** Do the workbench's estimators recover the truth on fresh synthetic
# panels of one scenario, and how often do their 95% intervals contain it?
#
# This run fits every estimator of the validation study (`benchmarks/validation.py`) on
# `replicates` panels of one scenario (seeds `first_seed` onwards) and writes one row per
# estimate (estimate, interval, truth, whether the estimator is meant to identify the
# truth there, and the role the headline rule gives it) to `validation_rows.csv` in the
# run folder. `studies/validation.yaml` runs a grid of these chunks over scenarios and
# seeds on any executor (local, Dask, Slurm); `benchmarks/validation.py --from-study
# outputs/validation` then reads every chunk from the study's outputs into the coverage
# tables of `docs/validation.md`.

# %% tags=["parameters"]
scenario = "calibrated"  # scenario of workbench.data.scenarios (the world the panels come from)
first_seed = 1           # seed of the first replicate of this chunk
replicates = 20          # replicates (seeds) in this chunk
n_providers = 240        # providers in each synthetic panel
n_months = 36            # months in each synthetic panel
n_boot = 199             # bootstrap replicates per bootstrapped interval
output_dir = ""          # the run folder (set by workbench run); empty: the current folder

# %%
import sys
import time
from pathlib import Path

from IPython.display import Markdown, display

# the workbench modules the validation runs, imported here so that the batch cache runs a
# chunk again when one of them changes (it sees the notebook's own imports)
from workbench.analysis.effects import mediation, weighting  # noqa: F401
from workbench.analysis.findings import roles  # noqa: F401
from workbench.analysis.models import fit  # noqa: F401
from workbench.analysis.questions import nhs_vs_private, staffing_waits_satisfaction  # noqa: F401
from workbench.data import synth  # noqa: F401

# the validation script sits one folder up (a kernel of workbench run starts in the
# notebook's folder)
sys.path.insert(0, str(Path.cwd().parent))
import validation

# %%
settings = validation.Settings(replicates=replicates, n_providers=n_providers,
                               n_months=n_months, n_boot=n_boot, workers=1,
                               first_seed=first_seed, scenarios=(scenario,))
cpu, wall = time.process_time(), time.perf_counter()
rows = validation.run_chunk(scenario, first_seed, replicates, settings)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
path = validation.write_chunk(rows, output_dir or ".", settings, scenario, first_seed,
                              replicates, cpu_s=cpu, wall_s=wall)
display(Markdown(f"**Scenario** `{scenario}`, seeds {first_seed} to "
                 f"{first_seed + replicates - 1}: {len(rows)} estimates in "
                 f"{wall:.0f} s ({cpu:.0f} s of CPU), written to `{path.name}`."))

# %% [markdown]
# ## Coverage in this chunk
#
# Share of 95% intervals containing the truth, by estimator and estimand (a chunk is a
# few replicates: read the study's table, not this one, for coverage).

# %%
table = validation.summarise(rows)
table[["estimator", "design", "estimand", "role", "meant", "replicates", "bias",
       "coverage"]].round(3)

"""Writes the teaching notebooks, executes them with the TransferLab kernel through Debian's nbclient
(widget state stored), adds static chart images and publishes each as a self-contained HTML report.

Usage (from the repository root, after `npx transferlab install --user`):
    /usr/bin/python3 notebooks/build.py [NAME ...]
"""
import os
import subprocess
import sys

import nbformat
from nbclient import NotebookClient

HERE = os.path.dirname(os.path.abspath(__file__))
md = nbformat.v4.new_markdown_cell
code = nbformat.v4.new_code_cell

FAMILIES = ["shared-separate", "mot", "decoupled"]


def fig10_cell():
    """Fig. 10 across families: the shipped base beside every other family's published base (models/<family>)."""
    published = [f for f in FAMILIES if os.path.exists(os.path.join(HERE, "..", "models", f, "model.json"))]
    if not published:
        return "'no other family has a published base yet: Fig. 10 across families waits for one'"
    return ('%attention "a photo of five circles" --token circles --arch shared-unified --compare '
            + ",".join("../models/" + f for f in published) + " --step 2")


NOTEBOOKS = {
    "01-transfer-in-miniature": [
        md("# Transfer in miniature: a new word, then counting\n\n"
           "The paper asks whether something learned through **one task** of a unified multimodal model "
           "(understanding = answering questions about images, *und*; generation = drawing images from text, "
           "*gen*) shows up in **the other task**. This notebook asks it of the shipped miniature UMM (868k "
           "parameters, pretrained on synthetic grid worlds) twice: for **knowledge** — a made-up word, *wugs*, "
           "that names triangles, taught only through questions — where the miniature shows transfer, and for "
           "**counting**, the paper's capability, where it does not."),
        md("## 1. Teach a word through understanding only\n\n"
           "`%train` trains a LoRA adapter and draws held-out curves on **both** sides every few steps: "
           "understanding accuracy on questions about wugs (left), and on the right the share of triangles among "
           "the objects drawn for \"N wugs on a white background\" — a side this run never trains. The word is "
           "spelled letter by letter (it is not in the vocabulary), so the base has never seen it mean anything. "
           "The interrupt button stops training after the current step; `--resume` continues it."),
        code("%train --task new-word --objective und --rank 8 --steps 150 --eval-every 25 --name wug-und"),
        md("## 2. Teach it through generation, for comparison\n\nDirect training is the upper bound for transfer."),
        code("%train --task new-word --objective gen --rank 8 --steps 150 --eval-every 25 --name wug-gen"),
        md("## 3. Look at the images\n\nRows: model and prompt (the base, the understanding-trained adapter, the "
           "generation-trained one); columns: sampling seeds; under each image, the triangles the detector counted "
           "of those asked."),
        code('%generate "a photo of three wugs|a photo of six wugs" --adapter wug-und,wug-gen --seeds 4'),
        md("## 4. The protocol\n\n`%transfer` trains both objectives (each run keeps its best step on the "
           "*validation* split, asked in another prompt form), then reads the *test* sets once: baseline, und→gen, "
           "gen→und, und→und and gen→gen. Every effect is a **paired** difference against the base — the same "
           "prompts, the same sampling seeds — with a bootstrap interval over prompts (and over training runs when "
           "there are several). A null is stated with its equivalence bound (`|Δ| < δ`). The transfer strength is "
           "drawn only where direct training is a real upper bound. One training seed here, for speed; the "
           "shipped map (notebook 03) has 5 per objective, with its predictions declared before the test read."),
        code("%transfer --task new-word --rank 8 --steps 150 --seeds 1"),
        md("## 5. Counting, beside it\n\nThe same protocol on counting, from the shipped map (3 training seeds per "
           "objective, each objective on its own data): understanding training improves understanding and leaves "
           "generation where it was."),
        code("const map = transferlab.labs.readTransferMap();\n"
             "transferlab.labs.mapEffects(map)\n"
             "  .filter((d: any) => d.condition === 'own-data' && d.metric === 'accuracy')\n"
             "  .select('direction', 'base', 'tuned', 'delta', 'lo', 'hi', 'statement')"),
        md("## 6. The paper's numbers, as a table you can join\n\nEvery result is a row in one long format; the "
           "paper's Tables 1–7 and 10–13 ship in it, and yours join them."),
        code("%paper --table 6"),
        code("const mine = lab.metrics().filter(aq.escape((d: any) => d.side === \"gen\" && d.metric === \"class_share\"));\n"
             "mine.groupby(\"run\").rollup({ evaluations: aq.op.count(), mean: aq.op.mean(\"value\"), best: aq.op.max(\"value\") })"),
        md("## What to take away\n\nOn the full test sets with 5 training runs per objective (notebook 03, "
           "`models/README.md`): a word learned **only through understanding** is used when drawing — the share of "
           "triangles drawn for \"a photo of N wugs\" rises by +0.180 [+0.073, +0.293], a transfer strength of "
           "0.30 [0.14, 0.47] — while a word learned from pictures is not understood in questions (gen→und "
           "|Δ| < 0.032). **Counting does not transfer** in this miniature (und→gen |Δ| < 0.05 in every one of 16 "
           "conditions). Notebook 03 shows why: counting needs the generator to count what it has already drawn, a "
           "computation understanding training never exercises, while a word's meaning travels with the text both "
           "pathways read."),
    ],
    "03-where-transfer-appears": [
        md("# Where does transfer appear? A map, measured\n\n"
           "The paper (Sec. 5.1, Table 6) finds that training a capability through one task of a fully shared UMM "
           "improves it on the other task: on Lumina-DiMOO, counting trained through understanding lifts "
           "generation by a sizeable share of what direct generation training gives. This notebook asks the "
           "same of the shipped miniature, as a set of **hypotheses, each with a verdict and its paired "
           "interval**. The runs behind it take about 8 hours on a 2-core laptop (the novelty base's pretraining another 2.5), so the notebook reads their "
           "recorded results (`models/transfer-map.json`); `npx transferlab map examples/transfer-map.yaml "
           "--root runs/map --out models/transfer-map.json` rebuilds them (finished runs are reused)."),
        md("## How every number here was made\n\n"
           "- **Paired effects.** Tuned and base models answer the same 540 questions and draw the same 54 "
           "prompts × 4 sampling seeds; Δ = tuned − base per item. The 95% interval is a bootstrap that "
           "resamples prompts (with all their seeds) and the 3 training runs, crossed. A null is written "
           "`|Δ| < δ with 95% confidence`; the minimum detectable effect (80% power) is printed beside it.\n"
           "- **Selection without peeking.** Each run keeps its best step on a validation split (other scenes; "
           "other sampling seeds, 100–103), evaluated every 50 steps; the sampler's guidance was chosen on the "
           "validation split too. The test sets are read once per reported number.\n"
           "- **Upper bound first.** Table 6's strength Δtransfer / Δdirect is drawn only where direct training's "
           "own interval is above 0."),
        code("const map = transferlab.labs.readTransferMap();\n"
             "transferlab.labs.mapVerdicts(map)"),
        md("## The transfer question across every condition\n\n"
           "One figure per question, every condition a row, on **one axis** so rows compare by eye. Each point is a "
           "paired Δ (tuned − base) with its 95% interval. Green: an interval above 0 in the better direction; red: "
           "in the worse direction; grey: no effect shown (the interval covers 0). The first figure is the paper's "
           "question (does understanding training move generation?), the second its upper bound (direct "
           "generation training), the third the interference the other way."),
        code("const effects = transferlab.labs.mapEffects(map);\n"
             "const words = (v: any) => (v === 'null' ? 'no effect shown' : v);\n"
             "const across = (direction: string) => effects\n"
             "  .filter(aq.escape((d: any) => d.direction === direction && d.metric === 'accuracy'))\n"
             "  .derive({ direction: (d: any) => d.condition, verdict: aq.escape((d: any) => words(d.verdict)) });\n"
             "const shared = { accuracy: [-0.3, 0.3] as [number, number] };\n"
             "for (const [direction, what] of [['und→gen', 'understanding training, measured in generation (transfer)'], ['gen→gen', 'generation training, measured in generation (the upper bound)'], ['gen→und', 'generation training, measured in understanding (interference)']]) {\n"
             "  await new FigureWidget((t: any) => viz.pairedEffects(t, { title: `${direction}: ${what} — Δ accuracy per condition, 95% interval`, range: shared, height: 520 }), across(direction), { title: direction }).show();\n"
             "}"),
        md("The numbers behind the first figure (all 124 rows: `effects.print()`):"),
        code("const r3 = (k: string) => aq.escape((d: any) => Math.round(d[k] * 1000) / 1000);\n"
             "across('und→gen').derive({ delta: r3('delta'), lo: r3('lo'), hi: r3('hi') })\n"
             "  .select('direction', 'delta', 'lo', 'hi', 'verdict').rename({ direction: 'condition' })"),
        md("## Dose over steps: five times longer, both sides watched\n\n"
           "The `steps-1500` runs train on the eval-form data for 1,500 steps (the paper trains up to 15 epochs with "
           "early stopping; 1,500 steps are 24 passes over the 2,000 training pairs), evaluated on the validation "
           "split every 100 steps on **both** sides. If understanding training carried over to generation late, "
           "the generation panel (on the right) of the first figure — the understanding-trained runs — would rise "
           "above its value at step 0 (the base)."),
        code("const curves = transferlab.labs.mapCurves(map);\n"
             "for (const obj of ['und', 'gen']) {\n"
             "  const t = curves.filter(aq.escape((d: any) => d.objective === obj));\n"
             "  await new FigureWidget((x: any) => viz.trainingCurves(x, { title: `Trained through ${obj === 'und' ? 'understanding' : 'generation'} for 1,500 steps: validation accuracy and MAD of both sides (3 seeds)`, bands: false }), t, { title: `steps-1500 ${obj}` }).show();\n"
             "}"),
        md("## Transfer strength (Table 6), where it is defined\n\nThe paper's numbers first, then the miniature's: "
           "a strength is a share of direct training's gain, so it exists only where that gain is real."),
        code("%paper --table 6"),
        code("transferlab.labs.mapStrength(map).select('condition', 'direction', 'metric', 'strength', 'lo', 'hi', 'note')"),
        md("## C.5: can two transferred capabilities be composed?\n\n"
           "The paper trains understanding on a counting + spatial mixture and finds compositional generation "
           "(\"three circles are on the top-right of a square\") improves from 24.7% to 28.5% joint accuracy. "
           "Here the same question is asked with 3 training seeds and paired effects on 400 prompts. The "
           "miniature's joint accuracy starts on the floor (0.3%), so its two parts are measured on the same "
           "images as well: the count of the asked class right, and the share of it placed at the asked relation."),
        code("%paper --table 13"),
        code("const c5 = transferlab.labs.mapStudy('c5');\n"
             "await new FigureWidget((t: any) => viz.pairedEffects(t, { title: 'C.5: mixture understanding training, paired effects on composition prompts' }), c5, { title: 'C.5' }).show();\n"
             "c5.select('direction', 'metric', 'base', 'tuned', 'delta', 'lo', 'hi', 'verdict', 'statement')"),
        md("## Fig. 8: does joint training oscillate?\n\n"
           "The paper reads a trade-off off one run: under joint und+gen training, understanding rises in the "
           "first half while generation falls, and the trend reverses in the second. Here 3 joint runs were "
           "evaluated on the validation split every epoch (54 prompts × 2 sampling seeds, 540 questions), and "
           "each half's change is a paired difference — the same items at two epochs of the same run."),
        code("const fig8 = transferlab.labs.mapStudy('fig8', 'curve');\n"
             "await new FigureWidget((t: any) => viz.oscillation(t, { bands: true, title: 'Joint training, 3 runs pooled per epoch (validation split)' }), fig8, { title: 'Fig. 8' }).show();\n"
             "const halves = transferlab.labs.mapStudy('fig8');\n"
             "await new FigureWidget((t: any) => viz.pairedEffects(t, { title: 'Paired change per half of joint training' }), halves, { title: 'Fig. 8 halves' }).show();\n"
             "halves.select('direction', 'metric', 'base', 'tuned', 'delta', 'lo', 'hi', 'verdict')"),
        code("transferlab.labs.mapStudies(map)"),
        md("## Do the two pathways represent a scene alike? (hypothesis g)\n\n"
           "Linear CKA between the understanding pathway's and the generation pathway's states of the same 256 "
           "counting scenes, per layer (dotted: the same with scenes shuffled, the chance level). `delta` is "
           "each adapter's CKA minus the base's on the same scene resamples, with its interval. Layer 0 is high "
           "because both sequences hold the same image tokens; what happens deeper is the question."),
        code("const sharing = aq.from(map.sharing);\n"
             "await new FigureWidget((t: any) => viz.sharingCurves(t), sharing, { title: 'Representation sharing' }).show();\n"
             "sharing.filter(aq.escape((d: any) => d.layer === 3)).select('model', 'cka', 'delta', 'delta_lo', 'delta_hi')"),
        md("The base alone, live (a few seconds):"),
        code("%sharing --scenes 128"),
        md("## Why no transfer? Testing the links of the chain\n\n"
           "For counting, und→gen transfer needs three links: (1) understanding training changes how the shared "
           "layers represent the objects of an image; (2) the generator reads those representations **on its own "
           "half-drawn canvas**; (3) what it reads changes what it draws next. Two diagnostics test them causally, "
           "on 3 understanding-trained and 3 generation-trained adapters (300 steps each, paired against the base "
           "on identical inputs; the numbers are in `models/diagnostics/shared-unified.json`, the commands in its "
           "`meta`):\n\n"
           "- **Canvas dependence** (`%canvas`): take the base's canvas half-way through sampling, add one object of "
           "the asked class (or remove one), and ask each model how many more it will draw. *Compensation* 1 means "
           "one fewer object per object already there (it counts its canvas); 0 means it ignores the edit. "
           "*Pass-through* is the same read off the finished image (0 = fully compensated).\n"
           "- **Count read-out** (`%readout`): how well a linear probe reads the number of objects from each "
           "layer's image states, on finished scenes (understanding) and on the generator's canvases."),
        code("const diag = transferlab.labs.readDiagnostics();\n"
             "const canvasAll = transferlab.labs.diagnosticsCanvas(diag, 'all');\n"
             "await new FigureWidget((t: any) => viz.pairedEffects(t, { title: 'Canvas dependence: Δ against the base (3 runs pooled, 95% interval); green = reads its canvas more' }), canvasAll, { title: 'canvas dependence' }).show();\n"
             "aq.from(diag.canvas_all).filter((d: any) => d.model === 'base').select('edit', 'measure', 'mean', 'lo', 'hi', 'n')"),
        md("The base does read its canvas: it compensates about 0.43 of an added object and 0.79 of a removed one. "
           "**Generation training** makes it read its canvas much more (+0.30 and +0.40). **Understanding training "
           "makes it read its canvas less** (−0.055 [−0.103, −0.006] and −0.19 [−0.26, −0.13]). Where does that "
           "enter? Patching applies an adapter at some positions only:"),
        code("for (const part of ['image', 'prompt'] as const) {\n"
             "  await new FigureWidget((t: any) => viz.pairedEffects(t, { title: `Adapters applied at the ${part === 'image' ? 'image cells' : 'prompt'} only: canvas dependence Δ (3 runs pooled)` }), transferlab.labs.diagnosticsCanvas(diag, part), { title: `patching: ${part}` }).show();\n"
             "}"),
        md("All of understanding training's effect on the generator enters through the image positions (at the "
           "prompt alone: |Δ| < 0.02). Now link (1): is the count better represented after understanding training — "
           "and where?"),
        code("await new FigureWidget((t: any) => viz.readoutCurves(t), aq.from(diag.readout), { title: 'count read-out' }).show();\n"
             "aq.from(diag.readout_effects).filter((d: any) => d.layer === 1).select('model', 'pathway', 'delta_abs_error', 'lo', 'hi', 'verdict')"),
        md("**What a student should take from this.** The count is readable everywhere already (R² 0.98 on finished "
           "scenes, 0.84–0.93 on canvases). Understanding training sharpens it on *finished scenes under a question* "
           "(layer 1: the probe's error falls in all three runs) and leaves *canvases* untouched (every interval "
           "covers 0). So link (1) holds only in the understanding layout, and what understanding training changes "
           "at the image positions makes the generator rely *less* on its canvas (links 2–3 pushed the wrong way). "
           "Nothing useful reaches generation; what leaks is interference. A design that could change this makes the "
           "generator's canvas the thing understanding trains on (e.g. plan, then draw: read the canvas through the "
           "understanding slot while drawing) — new bases, not yet built here."),
        md("## Is the sampler the broken link? (hypothesis h)\n\nThe shipped sampler decides about 5 of an image's 64 cells per step, in random order. Perhaps the generator never gets to *count what it has drawn* because it decides too much at once? If so, deciding **one cell per step**, each after every earlier one (or in order of the model's confidence), should let understanding training reach generation. The diagnostics above predicted it would not, and that prediction was written into the map spec (`examples/sampler-map.yaml`) before these test sets were read. The same six runs are evaluated three times; only the sampler changes.\n\nHow to read the figure: one row per sampler and direction; a dot is Δ against the base under the same sampler, the whisker its 95% interval; a whisker crossing the zero line means no effect shown. Grey: no effect, green: better, red: worse."),
        code("const sm = transferlab.labs.readTransferMap(transferlab.labs.mapFile('sampler-map'));\nconst samplerRows = transferlab.labs.mapEffects(sm).filter(aq.escape((d: any) => ['und→gen', 'gen→gen'].includes(d.direction) && ['accuracy', 'mad'].includes(d.metric)))\n  .derive({ direction: aq.escape((d: any) => `${d.condition}: ${d.direction}`) });\nawait new FigureWidget((t: any) => viz.pairedEffects(t, { title: 'Hypothesis (h): the same runs under three samplers — Δ against the base under the same sampler (95% interval, 3 runs pooled)' }), samplerRows, { title: 'sampler map' }).show();\ntransferlab.labs.mapVerdicts(sm)"),
        md("**Reading it.** One cell per step makes the base itself worse (accuracy 0.273 → 0.222) and leaves und→gen null (+0.006 [−0.049, +0.057]) while direct generation training still improves drawing (MAD −0.346 [−0.480, −0.218]). In confidence order the base fills its canvas (no image has the asked count, so accuracy is 0 for every model and the accuracy prediction *cannot be judged*); on MAD, understanding training makes drawing worse (+0.173 [+0.045, +0.310]). The sampler is not the broken link: what understanding training changes is."),
        md("## Plan, then draw: a generator that states its tally (hypothesis i)\n\n"
           "UniSandbox finds that understanding reaches generation when the generator reasons explicitly first. "
           "For counting, the reasoning is counting: a **tally model** (`models/tally`, the shipped base continued "
           "600 steps) states before each drawing step, in the understanding answer's words, how many objects of the "
           "asked class its canvas already holds — \"There are **2** of circles in the image.\" — and then draws "
           "with that statement in view. Understanding training improves counting images, so it could now reach the "
           "drawing through the statement. The prediction (a gain, and none on a control base continued the same way "
           "without the statement) was committed to `examples/tally-map.yaml` before any test read; 5 runs per "
           "objective, each its own data draw.\n\n"
           "How to read the figure: one row per base and direction; the dot is Δ against that base, the whisker its 95% "
           "interval (5 runs pooled); a whisker crossing zero means no effect shown."),
        code("const tm = transferlab.labs.readTransferMap(transferlab.labs.mapFile('tally-map'));\n"
             "const tallyRows = transferlab.labs.mapEffects(tm).filter(aq.escape((d: any) => d.metric === 'accuracy' || (d.metric === 'mad' && d.direction === 'gen→und')))\n"
             "  .derive({ direction: aq.escape((d: any) => `${d.condition}: ${d.direction}`) });\n"
             "await new FigureWidget((t: any) => viz.pairedEffects(t, { title: 'Hypothesis (i): plan, then draw — Δ against each base (95% interval, 5 runs pooled per objective)' }), tallyRows, { title: 'tally map' }).show();\n"
             "transferlab.labs.mapVerdicts(tm).select('condition', 'kind', 'predictions')"),
        md("Understanding training does not reach the drawing here either. **Which link breaks?** `%statement` "
           "(`transferlab statement`) measures both ends of the statement: its error against what the canvas shows "
           "(does understanding training make it better?) and the objects drawn when the statement is replaced by a "
           "claim — \"nothing drawn yet\" or \"every asked object drawn\" (does the drawing read it?)."),
        code("const st = transferlab.labs.readStatement().filter(aq.escape((d: any) => !/-r8-s/.test(d.model)));\n"
             "await new FigureWidget((t: any) => viz.pairedEffects(t, { title: 'The statement: its error against the canvas (adapter − base; below 0 = states its canvas better) and the objects drawn under a claim (claim − own statement, grey: 0 = the drawing ignores the statement). 95% intervals, 5 runs pooled; green = states its canvas better' }),\n"
             "  st.filter(aq.escape((d: any) => d.delta !== null)).derive({ direction: aq.escape((d: any) => d.model), metric: aq.escape((d: any) => d.measure), verdict: aq.escape((d: any) => (String(d.measure).startsWith('statement') && d.verdict !== 'null' ? d.verdict : 'no colour')), lo: aq.escape((d: any) => d.delta_lo), hi: aq.escape((d: any) => d.delta_hi), better: aq.escape(() => 'lower') }),\n"
             "  { title: 'statement diagnostic' }).show();\n"
             "st.select('model', 'measure', 'mean', 'lo', 'hi', 'delta', 'delta_lo', 'delta_hi')"),
        md("**What a student should take from this.** Understanding training now changes something the generator "
           "computes: its statement of its own canvas gets more accurate (error −0.059 [−0.095, −0.030]) — link (1) "
           "holds inside generation, which it did not on the shipped base. But the drawing does not read the "
           "statement: told that nothing is drawn yet, or that everything is, every model draws within a tenth of an "
           "object of what it draws with its own statement. The statement only repeats what the generator already "
           "sees (prompt and canvas), so training never rewarded reading it — link (3) is missing, and und→gen stays "
           "null. An explicit step carries understanding into drawing only if it holds something the generator cannot "
           "see for itself — like the meaning of a new word, next.\n\n"
           "The statement does change the *other* direction (the gen→und rows of the figure above): on the control base "
           "generation training damages understanding (−0.147 [−0.192, −0.105]); on the tally base — the same continuation, "
           "only the statement differs — it does not (+0.018 [−0.015, +0.053]). Generation rows that state a count train "
           "the understanding computation itself, so the two tasks now share that work instead of overwriting it."),
        md("## Where transfer does appear: a word learned through understanding\n\n"
           "Counting needs the generator to count its own canvas — the link the diagnostics found broken. "
           "**Knowledge** needs a shorter chain: understanding training changes what a *word* means to the shared "
           "layers, and generation reads the same word in its prompt through the same layers. The new-word world "
           "tests it: a made-up word, *wugs*, names triangles. It is outside the vocabulary (spelled letter by "
           "letter), so the base has never seen it mean anything. Understanding runs learn it only from questions "
           "(\"How many wugs are there in the image?\", with as many other shapes in every scene); generation runs "
           "only from captioned pictures.\n\n"
           "This condition is **confirmatory**: its three predictions were committed to the map spec "
           "(`examples/new-word-map.yaml`) before any test set of this world was read; 5 training runs per "
           "objective, each drawing its own scenes; validation on another prompt form than the test's. The map "
           "says mechanically whether each prediction held:"),
        code("const nw = transferlab.labs.readTransferMap(transferlab.labs.mapFile('new-word-map'));\n"
             "transferlab.labs.mapVerdicts(nw).select('condition', 'kind', 'predictions')"),
        code("const nwEffects = transferlab.labs.mapEffects(nw).derive({ verdict: aq.escape((d: any) => (d.verdict === 'null' ? 'no effect shown' : d.verdict)) });\n"
             "await new FigureWidget((t: any) => viz.pairedEffects(t, { title: 'New word (5 runs per objective): paired Δ against the base, 95% interval — share of triangles drawn, exact count, MAD' }), nwEffects, { title: 'new word' }).show();\n"
             "transferlab.labs.mapStrength(nw).select('direction', 'metric', 'strength', 'lo', 'hi', 'note')"),
        md("Understanding training alone lifts the share of triangles drawn for \"a photo of N wugs\" from 0.13 to "
           "0.31 (Δ +0.180 [+0.073, +0.293]): **und→gen transfer**, 30% [14%, 47%] of what direct generation "
           "training reaches (+0.605). The exact count does not follow, and the reverse direction is null: a word "
           "learned from pictures is not understood in questions. Where does the word's meaning enter generation? "
           "The same patching as for counting, on the five understanding adapters:"),
        code("const patch = transferlab.labs.readPatching().derive({ verdict: aq.escape((d: any) => (d.verdict === 'null' ? 'no effect shown' : d.verdict)) });\n"
             "await new FigureWidget((t: any) => viz.pairedEffects(t, { title: 'Patching the new word: the understanding adapters at every position, the image cells only, the prompt only (5 runs pooled)' }), patch.filter((d: any) => d.metric === 'class_share'), { title: 'patching: new word' }).show();\n"
             "patch.filter((d: any) => d.metric === 'class_share').select('direction', 'delta', 'lo', 'hi', 'verdict')"),
        md("Neither placement alone carries the whole effect (image cells +0.071, prompt +0.089, both +0.180): "
           "the word's meaning enters through where the word is read and where the canvas reads it, together. For "
           "counting, patching put the whole (negative) effect at the image cells. **The lesson**: in a fully "
           "shared miniature, understanding training reaches generation where both tasks use the same "
           "representation the task needs — a word read the same way in a question and in a prompt — and not "
           "where generation needs a computation understanding never trains, counting what is already drawn."),
        md("## What the map says\n\n"
           "- **No und→gen transfer** under any of 16 conditions (the first figure above): every interval covers 0, "
           "the tightest |Δ| < 0.046. Against a real upper bound (generation on its own data, gen→gen +0.079 "
           "[+0.014, +0.147]) the strength is −0.08 [−1.36, +0.55], below the paper's 1.0.\n"
           "- **Understanding training works on its own side** (und→und +0.146 [+0.102, +0.188]).\n"
           "- **Generation training interferes with understanding** (gen→und −0.106 [−0.156, −0.052] on its own data; "
           "the damage grows with steps and learning rate: −0.228 at 1,500 steps, −0.237 at 4× the rate).\n"
           "- **No knob moved it**: rank ×4, steps ×5, learning rate ×¼ and ×4, the number word as input, transient "
           "peaks, a base where understanding training teaches something new (novelty, +0.072 on its own side).\n"
           "- **C.5** composition does not appear (joint accuracy Δ −0.001 [−0.006, +0.003]); **Fig. 8**'s trade-off "
           "appears in part (understanding up in the first half, generation recovers in the second).\n"
           "- **Why** (the diagnostics): understanding training changes finished-scene representations, not the "
           "generator's canvases, and it weakens the generator's use of its canvas.\n"
           "- **Where transfer does appear**: knowledge. A word learned only through understanding is used in "
           "generation (share of its shape +0.180 [+0.073, +0.293], strength 0.30 [0.14, 0.47], 5 runs, "
           "confirmatory); the reverse is null.\n\n"
           "The model card (`models/README.md`) has every row and what each hypothesis would need next."),
    ],
    "04-architectures": [
        md("# Architectures: what is shared carries transfer — and interference\n\n"
           "The paper's first finding is architectural (§3.2, Fig. 1, Table 1): transfer between understanding and "
           "generation is strongest in a **fully shared** transformer with one visual tokenizer (Lumina-DiMOO, MMaDA), "
           "absent in **Janus-Pro** (a shared transformer, but understanding reads images through its own encoder), "
           "present in **BAGEL** (a mixture of transformers) and in **BLIP3-o** for und→gen (a language model whose "
           "states, read by learnable queries, condition a separate generator). This notebook builds the four "
           "families in miniature — each one file in `src/umm/arch`, one LoRA code path for all — and measures the "
           "same protocol on each: Table 1 with paired intervals, the interference of generation training on "
           "understanding, and where the two pathways' representations coincide. Each family's base is made by the "
           "shipped base's chain (`models/recipes/<family>.chain.yaml`) at a parameter count within ±10% of it; "
           "pretraining takes hours of a 2-core CPU, so the table below says which bases exist yet."),
        md("## 1. Four families, one interface\n\n"
           "What each family's two tasks share (U = understanding, G = generation):\n\n"
           "```\n"
           "shared-unified  (Lumina-DiMOO)   text + image codes ──▶ [ one transformer: every weight ] ──▶ answer | image codes\n"
           "                                 U reads and G writes the same VQ codes through the same layers\n\n"
           "shared-separate (Janus-Pro)      U: pixels ──▶ patch encoder ─┐\n"
           "                                 G: VQ codes ─▶ code embedding ┴─▶ [ one transformer ] ──▶ answer | image codes\n"
           "                                 the two visual paths meet only in the transformer\n\n"
           "mot             (BAGEL)          text tokens  ──▶ text  q/k/v/o + MLP ─┐ one self-attention\n"
           "                                 image tokens ──▶ image q/k/v/o + MLP ─┘ over the whole sequence\n"
           "                                 U and G share the image expert (the image read, the canvas drawn)\n\n"
           "decoupled       (BLIP3-o)        text (+ image for U) ──▶ [ understanding transformer ] ──▶ answer\n"
           "                                                              │ final states\n"
           "                                                     learnable queries (cross-attention)\n"
           "                                                              ▼\n"
           "                                                     [ generator transformer ] ──▶ image codes\n"
           "```\n\n"
           "Where each base stands — published with its card (counting baselines with 95% intervals), or still "
           "pretraining (its committed pack's progress). The shipped `shared-unified` base's baselines are in "
           "`models/README.md` (counting generation 0.273 [0.199, 0.352], understanding 0.589 [0.548, 0.631])."),
        code("transferlab.labs.familyBases()"),
        md("The paper's Table 1, for the comparison (transfer strength of each model; 1 = as much as direct training):"),
        code("%paper --table 1"),
        md("## 2. Table 1 in miniature\n\n"
           "Each family's base is LoRA-trained on counting (and spatial relations) through **one** task and measured "
           "on **both** — 5 training runs per objective, each its own data draw, each objective on its own data so "
           "direct training is an upper bound, the run kept on a validation split with no test prompt, the test read "
           "once. Each effect is a paired difference against the same base (same prompts, same sampling seeds) with "
           "a cluster-bootstrap 95% interval over prompts × training runs. The predictions were committed in "
           "`examples/families-map.yaml` before any family base existed. A family whose base is not yet pretrained "
           "has no rows yet: the table says so rather than filling them."),
        code("const fam = transferlab.labs.readTransferMap(transferlab.labs.mapFile('families-map'));\n"
             "const t1 = aq.from(fam.table1 ?? []).derive({ verdict: aq.escape((d: any) => (d.verdict === 'null' ? 'no effect shown' : d.verdict)) });\n"
             "const measured = new Set(t1.array('family') as string[]);\n"
             "console.log(`families measured: ${[...measured].join(', ') || 'none'}; waiting for their base: ${transferlab.umm.architectureNames().filter((f: string) => !measured.has(f)).join(', ')}`);\n"
             "t1.select('direction', 'task', 'metric', 'delta', 'lo', 'hi', 'verdict', 'paper')"),
        code("await new FigureWidget((t: any) => viz.pairedEffects(t, { title: 'Table 1 in miniature: Δ against each family\\'s base (95% interval, 5 runs pooled); hollow diamond: the paper\\'s Δ for its model of the family' }),\n"
             "  t1.filter(aq.escape((d: any) => d.metric === 'accuracy')), { title: 'Table 1 in miniature' }).show();"),
        md("## 3. Interference and sharing\n\n"
           "Generation training can also *damage* understanding (gen→und below zero): on the fully shared base it "
           "does. The sharing diagnostic says where the two pathways' states of the same scenes coincide (linear CKA "
           "per layer; dotted: the same with scenes shuffled, the floor), for each family's base and its adapters — "
           "the lesson to read off is whether what is shared carries transfer and interference together."),
        code("const sh = aq.from(fam.table1_sharing ?? []).filter((d: any) => d.model === 'base').derive({ model: aq.escape((d: any) => `${d.family} base`) });\n"
             "await new FigureWidget((t: any) => viz.sharingCurves(t, { title: 'Sharing per family: linear CKA between the understanding and generation pathways\\' states of the same scenes, per layer (dotted: shuffled scenes, the floor)' }), sh, { title: 'sharing per family' }).show();\n"
             "t1.filter(aq.escape((d: any) => String(d.direction).endsWith('gen→und'))).select('direction', 'metric', 'delta', 'lo', 'hi', 'verdict')"),
        md("Each family's base, in words: in `shared-unified` the two pathways' states of the same scenes stay alike "
           "through every layer (linear CKA 0.39 [0.37, 0.45] at the last), in `mot` far less (0.23 [0.21, 0.31]); "
           "generation training costs understanding −0.077 [−0.113, −0.041] on the first and −0.023 [−0.049, −0.004] on "
           "the second. Less shared, less interference — but the two intervals touch, and `mot`'s understanding starts "
           "at its ceiling (1.000), so the difference between the families is a direction to test with more bases, not "
           "an established effect. Neither family carries counting from understanding into generation."),
        md("## 4. Fig. 10 across families\n\n"
           "The attention of the prompt token *circles* over the 8×8 image tokens while drawing, for two families' "
           "bases on the same prompt and sampling seed (the paper sets Lumina-DiMOO beside Janus-Pro). Each panel is "
           "labelled by its family; one colour scale is shared, so brighter means more attention in either. The "
           "comparison draws every family whose base is published."),
        code(fig10_cell()),
        md("## 5. Knowledge across families: a new word\n\n"
           "On the shipped base, one transfer does appear: a made-up word (*wugs*, naming triangles) taught only by "
           "answering questions about it is used when drawing (notebook 01, `models/new-word-map.json`). Does that "
           "transfer survive where the pathways are separate? The same condition on each family's base — 5 runs per "
           "objective, prediction (a gain on every family) committed before any family base existed. The measure is "
           "the share of triangles among the objects drawn for \"a photo of N wugs\"; gen→gen, direct training, is "
           "the upper bound. A family whose row has not been run yet is named."),
        code("const nwConds = fam.conditions.filter((c: any) => c.id.startsWith('new-word-'));\n"
             "const nw = aq.from(nwConds.flatMap((c: any) => c.effects\n"
             "  .filter((e: any) => e.metric === 'class_share' && ['und→gen', 'gen→gen'].includes(e.direction))\n"
             "  .map((e: any) => ({ ...e, direction: `${c.settings.arch}: ${e.direction}` }))));\n"
             "console.log(`new word measured on: ${nwConds.map((c: any) => c.settings.arch).join(', ')}; not yet run on the others`);\n"
             "await new FigureWidget((t: any) => viz.pairedEffects(t, { title: 'A word learned through understanding, used in drawing, per family: Δ share of the word\\'s shape among objects drawn (95% interval, 5 runs pooled); gen→gen is the upper bound' }), nw, { title: 'new word per family' }).show();\n"
             "nw.select('direction', 'base', 'tuned', 'delta', 'lo', 'hi', 'verdict')"),
        md("Whether two families differ is itself an effect with an interval: the difference of their und→gen Δ, "
           "with one bootstrap draw of prompts for both and each family's runs drawn on their own. A contrast whose "
           "second family has no row yet says what it waits for."),
        code("const ct = transferlab.labs.mapContrasts(fam);\n"
             "const drawn = ct.filter((d: any) => d.difference !== null).derive({ direction: (d: any) => d.contrast, delta: (d: any) => d.difference, better: (d: any) => 'higher' });\n"
             "if (drawn.numRows()) await new FigureWidget((t: any) => viz.pairedEffects(t, { title: 'Families set against the fully shared base: difference of their paired Δ (second − first, 95% interval); left of 0: the effect is smaller on the second family' }), drawn, { title: 'contrasts' }).show();\n"
             "ct.select('contrast', 'direction', 'metric', 'first_delta', 'second_delta', 'difference', 'lo', 'hi', 'statement')"),
        md("## What to conclude\n\n"
           "Read the verdicts, not the points: each row below is a prediction declared before its test read, "
           "with whether it held and its interval."),
        code("transferlab.labs.mapVerdicts(fam)"),
    ],
    "02-joint-training-rank-attention": [
        md("# Joint training, LoRA rank, and attention\n\n"
           "Three follow-up questions of the paper (Sec. 5.2, App. C.4, App. C.2), in miniature."),
        md("## Joint und+gen training (Fig. 8)\n\nBoth objectives in every step; both sides evaluated on the validation split after every epoch. The paper saw the two sides oscillate. One quick run here (a minute or two); the paired changes of each half say whether a swing is more than noise. Notebook 03 has the same study with 3 training seeds and full validation sets."),
        code("%joint --task counting --seeds 1 --epochs 6 --steps-per-epoch 25 --eval-prompts 27 --eval-questions 270"),
        md("## Does a larger rank transfer more? (Table 12)"),
        code("%ablate --task counting --ranks 2,8,32 --steps 100 --limit 18"),
        md("## Where does the word attend? (Fig. 10)\n\nThe attention of the prompt token *circles* over the 8×8 image tokens, two steps into sampling: base, then the understanding-trained adapter, each panel the generated image with the attention laid over it, on one colour scale shared by both (so brighter means more attention in either)."),
        code("%train --task counting --objective und --rank 8 --steps 150 --eval-every 25 --name und-r8"),
        code('%attention "a photo of five circles" --token circles --adapter und-r8 --step 2'),
        md("## Composition (App. C.5)\n\nUnderstanding training on a mixture of counting and spatial questions, evaluated on prompts that need both: joint accuracy and its two parts (the count right; the share placed at the relation), paired against the base on the same prompts. One quick run on 40 prompts here; notebook 03 has 3 seeds on all 400."),
        code("%compose --seeds 1 --steps 100 --limit 40"),
        md("One training seed on 40 prompts is a quick look, not a finding: a run can move a part of the score that "
           "three seeds on all 400 prompts do not move the same way. Notebook 03's C.5 study (3 seeds, 400 prompts, "
           "runs kept on the validation split) finds the count part falls (−0.046 [−0.082, −0.011]) and joint "
           "accuracy does not change — pool seeds and read the paired interval before calling an effect."),
    ],
}


def build(name, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "transferlab", "display_name": "TransferLab (TypeScript)", "language": "typescript"}
    nb.metadata["language_info"] = {"name": "typescript"}
    nb.cells = cells
    path = os.path.join(HERE, name + ".ipynb")
    NotebookClient(nb, timeout=1800, kernel_name="transferlab", resources={"metadata": {"path": HERE}}, store_widget_state=True).execute()
    nbformat.write(nb, path)
    subprocess.run(["node", os.path.join(HERE, "..", "bin", "transferlab.js"), "report", path, "--static-images"], check=True)


if __name__ == "__main__":
    wanted = sys.argv[1:] or list(NOTEBOOKS)
    for n in wanted:
        build(n, NOTEBOOKS[n])

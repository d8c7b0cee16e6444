#!/usr/bin/env bash
# The folder dataset end to end on Fashion-MNIST images written as PNG and JPEG (plus two bad
# files): train warns about the bad files and trains; evaluate, export + infer (hybridnet's own
# runtime, from the export's metadata: crop and classes) reproduce the test accuracy; --strict
# refuses the bad files with one line naming them. Prints "PASS folder" at the end.
# Usage: folder_dataset.sh HYBRIDNET MAKE_IMAGE_FOLDER WORKDIR
set -euo pipefail
HN=$1 MAKE=$2 W=$3
rm -rf "$W" && mkdir -p "$W"
"$MAKE" /usr/share/datasets/fashion-mnist "$W/images" 1000 300
common=(--model resnet8 --plan xnor --dataset folder --data "$W/images" --input 28x28 --channels 1)
"$HN" train "${common[@]}" --epochs 2 --out "$W/run" > "$W/train.out" 2> "$W/train.err"
grep -q "2 unreadable images in .*train: .*cut.jpg: truncated JPEG" "$W/train.err" ||
  { echo "FAIL: no warning naming the bad files"; cat "$W/train.err"; exit 1; }
trained=$(sed -n 's/^test_accuracy \([0-9.]*\).*/\1/p' "$W/train.out")
evaluated=$("$HN" evaluate --checkpoint "$W/run" | sed -n 's/^test_accuracy \([0-9.]*\).*/\1/p')
[[ -n $trained && $trained == "$evaluated" ]] ||
  { echo "FAIL: trained $trained, evaluated $evaluated"; exit 1; }
"$HN" export --checkpoint "$W/run" --out "$W/export" > /dev/null
inferred=$("$HN" infer --model "$W/export/model.onnx" --data "$W/images" --json |
  sed -n 's/^ *"accuracy": \([0-9.]*\),*$/\1/p')
awk -v a="$trained" -v b="$inferred" 'BEGIN { d = a - b; exit !(d < 0.0035 && d > -0.0035) }' ||
  { echo "FAIL: trained $trained, inferred $inferred"; exit 1; }
if "$HN" train "${common[@]}" --strict --epochs 1 --out "$W/strict" 2> "$W/strict.err"; then
  echo "FAIL: --strict accepted bad files"; exit 1
fi
[[ $(wc -l < "$W/strict.err") -eq 1 ]] && grep -q "notes.jpg: not a JPEG or PNG image" "$W/strict.err" ||
  { echo "FAIL: --strict error"; cat "$W/strict.err"; exit 1; }
echo "trained $trained, evaluated $evaluated, inferred $inferred"
echo "PASS folder"

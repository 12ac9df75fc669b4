/**
 * A stand-in for `tools/sweep.ts worker` in the pool's tests: no TensorFlow. Arguments:
 * `<task id> <ok|fail|busy> <images>`. Prints a log line to stdout and stderr, two progress
 * events, then exits 0 (ok), 1 (fail, after an error message) or 3 (busy, after a busy event).
 */
const [id, mode, images] = Deno.args;
const total = Number(images);
const emit = (event: unknown) => console.log(`@sweep ${JSON.stringify(event)}`);
console.log(`log line of ${id} on stdout`);
console.error(`log line of ${id} on stderr`);
emit({ kind: "progress", imagesDone: total / 2, imagesPerSecond: 10, note: "epoch 1/2" });
await new Promise((r) => setTimeout(r, 50)); // lets the other slot's worker overlap this one
if (mode === "busy") {
  emit({ kind: "busy", message: "held elsewhere" });
  Deno.exit(3);
}
if (mode === "fail") {
  console.error(`training ${id} diverged: loss NaN`);
  Deno.exit(1);
}
emit({ kind: "progress", imagesDone: total, imagesPerSecond: 12, note: "epoch 2/2" });

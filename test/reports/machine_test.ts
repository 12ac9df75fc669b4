import assert from "node:assert/strict";
import {
  cpuLabel,
  cpuModelName,
  describeMachine,
  vectorExtensions,
} from "../../lib/reports/machine.ts";

// Abridged /proc/cpuinfo of the two machines the project has run on: both say "AMD EPYC".
const zen1 =
  "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx f16c fma avx2 sha_ni\n";
const withAmx = "model name\t: AMD EPYC\n" +
  "flags\t\t: fpu avx avx2 avx512f avx512dq avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8\n";

Deno.test("vectorExtensions names the widest vector set and the oneDNN-relevant ones", () => {
  assert.deepEqual(vectorExtensions(zen1), ["AVX2"]);
  assert.deepEqual(vectorExtensions(withAmx), ["AVX-512", "VNNI", "BF16", "AMX"]);
  assert.deepEqual(vectorExtensions("flags : fpu sse2 avx"), ["AVX"]);
  assert.deepEqual(vectorExtensions(""), []);
});

Deno.test("cpuModelName reads the model name, or says it is unknown", () => {
  assert.equal(cpuModelName(zen1), "AMD EPYC");
  assert.equal(cpuModelName("model name\t:  Intel(R)   Xeon(R)  \n"), "Intel(R) Xeon(R)");
  assert.equal(cpuModelName("processor : 0\n"), "unknown CPU");
});

Deno.test("cpuLabel puts the extensions next to the model; describeMachine's summary starts with it", () => {
  assert.equal(cpuLabel(zen1), "AMD EPYC (AVX2)");
  assert.equal(cpuLabel(withAmx), "AMD EPYC (AVX-512, VNNI, BF16, AMX)");
  assert.equal(cpuLabel("processor : 0\n"), "unknown CPU");
  const machine = describeMachine();
  const cpu = machine.vectorExtensions.length
    ? `${machine.cpuModel} (${machine.vectorExtensions.join(", ")})`
    : machine.cpuModel;
  assert.ok(machine.summary.startsWith(`${cpu}, ${machine.cores} cores`), machine.summary);
});

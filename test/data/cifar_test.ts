import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import {
  CIFAR10_FORMAT,
  decodeCifarRecords,
  loadCifar,
  loadCifarFromArchive,
  md5Hex,
  prepareCifar,
  SOURCE_MARKER,
} from "../../lib/data/cifar.ts";
import { writeTar } from "../../lib/data/tar.ts";
import { cifarLocationFromEnv } from "../../tools/data_env.ts";
import {
  fixtureCoarse,
  fixtureMembers,
  fixturePixel,
  recordsFile,
  TINY_CIFAR10,
  TINY_CIFAR100,
  writeFixtureArchive,
} from "./fixtures.ts";
import { testWhen } from "../_skip.ts";

/** A fresh temp folder with an `archives/` and a `data/` inside, removed after `body`. */
async function withTempDirs(
  body: (dirs: { archives: string; data: string }) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "cutmix-data-test-" });
  try {
    await Deno.mkdir(`${root}/archives`);
    await Deno.mkdir(`${root}/data`);
    await body({ archives: `${root}/archives`, data: `${root}/data` });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

const quiet = () => {};

Deno.test("decodeCifarRecords turns channel-major records into NHWC, exactly", () => {
  const record = new Uint8Array(1 + 3072);
  record[0] = 7;
  for (let p = 0; p < 1024; p++) {
    record[1 + p] = p & 0xff; // red plane
    record[1 + 1024 + p] = 100; // green plane
    record[1 + 2048 + p] = 255 - (p & 0xff); // blue plane
  }
  const { pixelsNHWC, labels } = decodeCifarRecords(
    [{ label: "one.bin", bytes: record }],
    CIFAR10_FORMAT,
  );
  assert.deepEqual(Array.from(labels), [7]);
  // pixel (row 1, col 2) = position 34: R = 34, G = 100, B = 221
  assert.deepEqual(Array.from(pixelsNHWC.subarray(34 * 3, 34 * 3 + 3)), [34, 100, 221]);
  assert.deepEqual(Array.from(pixelsNHWC.subarray(0, 6)), [0, 100, 255, 1, 100, 254]);
});

Deno.test("decodeCifarRecords reads CIFAR-100's coarse and fine labels", () => {
  const bytes = recordsFile(TINY_CIFAR100, 0, 3);
  const records = decodeCifarRecords([{ label: "t.bin", bytes }], TINY_CIFAR100, [3]);
  assert.deepEqual(Array.from(records.labels), [0, 1, 2]);
  assert.deepEqual(Array.from(records.coarseLabels!), [0, 1, 2].map(fixtureCoarse));
  assert.equal(records.pixelsNHWC[3 * 3072 - 1], fixturePixel(2, 2, 1023));
});

Deno.test("decodeCifarRecords names the file and the fault on bad input", () => {
  const good = recordsFile(TINY_CIFAR10, 0, 2);
  assert.throws(
    () =>
      decodeCifarRecords(
        [{ label: "short.bin", bytes: good.subarray(0, 3073 + 5) }],
        CIFAR10_FORMAT,
      ),
    /short\.bin: 3,078 bytes is not a whole number of 3073-byte records/,
  );
  assert.throws(
    () => decodeCifarRecords([{ label: "few.bin", bytes: good }], CIFAR10_FORMAT, [3]),
    /few\.bin: 6,146 bytes, expected 3 records of 3073 bytes/,
  );
  const badLabel = good.slice();
  badLabel[3073] = 10;
  assert.throws(
    () => decodeCifarRecords([{ label: "lab.bin", bytes: badLabel }], CIFAR10_FORMAT),
    /lab\.bin: record 1 has label 10, outside \[0, 10\)/,
  );
  const badCoarse = recordsFile(TINY_CIFAR100, 0, 1);
  badCoarse[0] = 20;
  assert.throws(
    () => decodeCifarRecords([{ label: "c.bin", bytes: badCoarse }], TINY_CIFAR100),
    /c\.bin: record 0 has coarse label 20, outside \[0, 20\)/,
  );
});

Deno.test("prepareCifar extracts a local archive atomically, says it checked structure, is idempotent", async () => {
  await withTempDirs(async ({ archives, data }) => {
    const archive = await writeFixtureArchive(archives, TINY_CIFAR10);
    const result = await prepareCifar("cifar10", {
      archive,
      dataDir: data,
      format: TINY_CIFAR10,
      onLog: quiet,
    });
    assert.equal(result.action, "extracted");
    assert.equal(result.verification, "structure");
    assert.match(result.log.join("\n"), /is NOT the official c32a1d4ab5d03f1284b67883e8d87530/);
    assert.match(result.log.join("\n"), /validated by structure/);
    assert.deepEqual(listDir(data), ["cifar-10-batches-bin"]); // no staging folder left
    assert.deepEqual(listDir(`${data}/cifar-10-batches-bin`), [
      "batches.meta.txt",
      "cutmix-source.json",
      "data_batch_1.bin",
      "data_batch_2.bin",
      "data_batch_3.bin",
      "data_batch_4.bin",
      "data_batch_5.bin",
      "test_batch.bin",
    ]);
    const marker = JSON.parse(
      Deno.readTextFileSync(`${data}/cifar-10-batches-bin/${SOURCE_MARKER}`),
    );
    assert.equal(marker.verification, "structure");
    assert.equal(marker.md5, md5Hex(Deno.readFileSync(archive)));
    const again = await prepareCifar("cifar10", {
      archive,
      dataDir: data,
      format: TINY_CIFAR10,
      onLog: quiet,
    });
    assert.equal(again.action, "present");
  });
});

Deno.test("prepareCifar: two processes extracting at once leave the first's files in place", async () => {
  await withTempDirs(async ({ archives, data }) => {
    const archive = await writeFixtureArchive(archives, TINY_CIFAR10);
    const options = { archive, dataDir: data, format: TINY_CIFAR10, onLog: quiet };
    // Both find no data and extract; the second to finish must not replace the first's folder
    // (sweep workers read it as soon as it is there).
    const [first, second] = await Promise.all([
      prepareCifar("cifar10", options),
      prepareCifar("cifar10", options),
    ]);
    assert.deepEqual([first.action, second.action].sort(), ["extracted", "present"]);
    const late = first.action === "present" ? first : second;
    assert.match(late.log.join("\n"), /extracted by another process meanwhile/);
    assert.deepEqual(listDir(data), ["cifar-10-batches-bin"]);
    const test = await loadCifar("cifar10", "test", { dataDir: data, format: TINY_CIFAR10 });
    assert.ok(test.labels.length > 0);
  });
});

Deno.test("prepareCifar reports an md5 match when the archive has the expected md5", async () => {
  await withTempDirs(async ({ archives, data }) => {
    const archive = await writeFixtureArchive(archives, TINY_CIFAR10);
    const format = { ...TINY_CIFAR10, md5: md5Hex(Deno.readFileSync(archive)) };
    const result = await prepareCifar("cifar10", { archive, dataDir: data, format, onLog: quiet });
    assert.equal(result.verification, "md5");
    assert.match(result.log.join("\n"), /matches the official archive/);
  });
});

Deno.test("loadCifar returns NHWC bytes, labels and class names of each split", async () => {
  await withTempDirs(async ({ archives, data }) => {
    const archive = await writeFixtureArchive(archives, TINY_CIFAR10);
    await prepareCifar("cifar10", { archive, dataDir: data, format: TINY_CIFAR10, onLog: quiet });
    const train = await loadCifar("cifar10", "train", { dataDir: data, format: TINY_CIFAR10 });
    const test = await loadCifar("cifar10", "test", { dataDir: data, format: TINY_CIFAR10 });
    assert.equal(train.name, "cifar10/train");
    assert.equal(train.labels.length, 100);
    assert.equal(test.labels.length, 10);
    assert.deepEqual(train.classNames, Array.from({ length: 10 }, (_, i) => `class${i}`));
    assert.deepEqual(Array.from(test.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // test image 3 is global image 103; its pixel (y=5, x=9), channel G:
    const p = 5 * 32 + 9;
    assert.equal(test.pixelsNHWC[3 * 3072 + p * 3 + 1], fixturePixel(103, 1, p));
    assert.equal(train.pixelsNHWC[99 * 3072 + 1023 * 3 + 2], fixturePixel(99, 2, 1023));
  });
});

Deno.test("CIFAR-100: extraction checks superclasses; loading returns fine and coarse labels", async () => {
  await withTempDirs(async ({ archives, data }) => {
    const archive = await writeFixtureArchive(archives, TINY_CIFAR100);
    const result = await prepareCifar("cifar100", {
      archive,
      dataDir: data,
      format: TINY_CIFAR100,
      onLog: quiet,
    });
    assert.equal(result.directory, `${data}/cifar-100-binary`);
    const test = await loadCifar("cifar100", "test", { dataDir: data, format: TINY_CIFAR100 });
    assert.equal(test.numClasses, 100);
    assert.equal(test.labels.length, 100);
    assert.deepEqual(Array.from(test.coarseLabels!.subarray(0, 3)), [0, 1, 2]);
    assert.equal(test.coarseClassNames![19], "super19");
    assert.equal(test.labels[42], 42);
    assert.equal(test.coarseLabels![42], fixtureCoarse(42));
    // Reading straight from the archive gives the same dataset, superclass names included.
    const direct = await loadCifarFromArchive(archive, "cifar100", "test", TINY_CIFAR100);
    assert.deepEqual(direct.coarseClassNames, test.coarseClassNames);
    assert.deepEqual(direct.coarseLabels, test.coarseLabels);
    assert.deepEqual(direct.pixelsNHWC, test.pixelsNHWC);
  });
});

Deno.test("CIFAR-100: a fine class under two superclasses is rejected", async () => {
  await withTempDirs(async ({ archives, data }) => {
    const test = recordsFile(TINY_CIFAR100, 200, 100);
    test[0] = 5; // record 0 (fine class 0) claims superclass 5, the training set says 0
    const archive = await writeFixtureArchive(archives, TINY_CIFAR100, {
      replace: { member: "test.bin", bytes: test },
    });
    await assert.rejects(
      prepareCifar("cifar100", { archive, dataDir: data, format: TINY_CIFAR100, onLog: quiet }),
      /fine class 0 appears under superclasses 0 and 5/,
    );
  });
});

/** Every way an archive can be bad, with the message it must produce. */
const FAULTS: { what: string; make: (archives: string) => Promise<string>; error: RegExp }[] = [
  {
    what: "truncated gzip",
    make: async (archives) => {
      const path = await writeFixtureArchive(archives, TINY_CIFAR10);
      const bytes = Deno.readFileSync(path);
      Deno.writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
      return path;
    },
    error: /cifar-10-binary\.tar\.gz: not a readable gzip file .*truncated or corrupt/,
  },
  {
    what: "not gzip at all",
    make: (archives) => {
      Deno.writeTextFileSync(`${archives}/x.tar.gz`, "hello");
      return Promise.resolve(`${archives}/x.tar.gz`);
    },
    error: /x\.tar\.gz: not a readable gzip file/,
  },
  {
    what: "a missing member",
    make: (archives) => writeFixtureArchive(archives, TINY_CIFAR10, { omit: "data_batch_3.bin" }),
    error: /missing member\(s\) cifar-10-batches-bin\/data_batch_3\.bin/,
  },
  {
    what: "wrong record size",
    make: (archives) =>
      writeFixtureArchive(archives, TINY_CIFAR10, {
        replace: { member: "test_batch.bin", bytes: recordsFile(TINY_CIFAR100, 0, 10) },
      }),
    error: /cifar-10-batches-bin\/test_batch\.bin: 30,740 bytes, expected 10 records of 3073 bytes/,
  },
  {
    what: "a label out of range",
    make: (archives) => {
      const bytes = recordsFile(TINY_CIFAR10, 0, 20);
      bytes[3 * 3073] = 200;
      return writeFixtureArchive(archives, TINY_CIFAR10, {
        replace: { member: "data_batch_2.bin", bytes },
      });
    },
    error: /data_batch_2\.bin: record 3 has label 200, outside \[0, 10\)/,
  },
  {
    what: "unbalanced classes",
    make: (archives) => {
      const bytes = recordsFile(TINY_CIFAR10, 100, 10);
      bytes[0] = 1; // two images of class 1, none of class 0
      return writeFixtureArchive(archives, TINY_CIFAR10, {
        replace: { member: "test_batch.bin", bytes },
      });
    },
    error: /test set has 0 images of class 0, expected 1/,
  },
  {
    what: "a names file with the wrong number of lines",
    make: (archives) =>
      writeFixtureArchive(archives, TINY_CIFAR10, {
        replace: { member: "batches.meta.txt", bytes: new TextEncoder().encode("a\nb\n") },
      }),
    error: /batches\.meta\.txt: expected 10 class names, found 2/,
  },
];

for (const fault of FAULTS) {
  Deno.test(`prepareCifar rejects an archive with ${fault.what} and leaves nothing in data/`, async () => {
    await withTempDirs(async ({ archives, data }) => {
      const archive = await fault.make(archives);
      await assert.rejects(
        prepareCifar("cifar10", { archive, dataDir: data, format: TINY_CIFAR10, onLog: quiet }),
        fault.error,
      );
      assert.deepEqual(listDir(data), []);
    });
  });
}

Deno.test("an incomplete folder from an earlier attempt is replaced whole, not merged", async () => {
  await withTempDirs(async ({ archives, data }) => {
    const archive = `${archives}/copy.tar.gz`;
    Deno.writeFileSync(archive, gzipSync(writeTar(fixtureMembers(TINY_CIFAR10))));
    await Deno.mkdir(`${data}/cifar-10-batches-bin`);
    Deno.writeTextFileSync(`${data}/cifar-10-batches-bin/stale.bin`, "left over");
    const result = await prepareCifar("cifar10", {
      archive,
      dataDir: data,
      format: TINY_CIFAR10,
      onLog: quiet,
    });
    assert.equal(result.action, "extracted");
    assert.deepEqual(listDir(data), ["cifar-10-batches-bin"]);
    assert.ok(!listDir(`${data}/cifar-10-batches-bin`).includes("stale.bin"));
  });
});

Deno.test("loadCifar without data says exactly how to provide it", async () => {
  await withTempDirs(async ({ data }) => {
    await assert.rejects(
      loadCifar("cifar10", "test", { dataDir: data }),
      (error: Error) => {
        assert.match(error.message, /cifar10 is not in .*cifar-10-batches-bin/);
        assert.match(error.message, /deno task data cifar10 /);
        assert.match(error.message, /--archive PATH/);
        assert.match(error.message, /CUTMIX_CIFAR10_ARCHIVE=PATH/);
        return true;
      },
    );
    await assert.rejects(
      loadCifar("cifar10", "val" as "test", { dataDir: data }),
      /split must be "train" or "test", got "val"/,
    );
  });
});

Deno.test("loadCifar extracts the archive its location names on first use", async () => {
  await withTempDirs(async ({ archives, data }) => {
    const archive = await writeFixtureArchive(archives, TINY_CIFAR10);
    const lines: string[] = [];
    const test = await loadCifar("cifar10", "test", {
      dataDir: data,
      archives: { cifar10: archive },
      format: TINY_CIFAR10,
      onLog: (line) => lines.push(line),
    });
    assert.equal(test.labels.length, 10);
    assert.match(
      lines.join("\n"),
      new RegExp(`using ${archive} \\(given as the archive to use\\)`),
    );
  });
});

Deno.test("cifarLocationFromEnv reads CUTMIX_DATA_DIR and the archive variables", () => {
  const env = new Map([["CUTMIX_DATA_DIR", "/d"], ["CUTMIX_CIFAR10_ARCHIVE", "/a/c10.tar.gz"]]);
  assert.deepEqual(cifarLocationFromEnv({ get: (name) => env.get(name) }), {
    dataDir: "/d",
    archives: { cifar10: "/a/c10.tar.gz" },
  });
  assert.deepEqual(cifarLocationFromEnv({ get: () => undefined }), { archives: {} });
});

Deno.test("`deno task data` rejects a tiny archive as not the official layout, exit 1, nothing extracted", async () => {
  await withTempDirs(async ({ archives, data }) => {
    const archive = await writeFixtureArchive(archives, TINY_CIFAR10);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../tools/data.ts", import.meta.url).pathname,
        "cifar10",
        "--archive",
        archive,
        "--data-dir",
        data,
      ],
      cwd: new URL("../../", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 1, stderr);
    assert.match(stderr, /data_batch_1\.bin: 61,460 bytes, expected 10,000 records/);
    assert.deepEqual(listDir(data), []);
  });
});

// The real archive, when the environment names one (`.ci/run` does on this project's machines).
const shared = cifarLocationFromEnv().archives?.cifar10 ?? "";
const hasShared = (() => {
  try {
    return Deno.statSync(shared).isFile;
  } catch {
    return false;
  }
})();

testWhen(
  hasShared,
  `CUTMIX_CIFAR10_ARCHIVE names no file ("${shared}"): set it to the CIFAR-10 binary archive ` +
    "(see data/README.md)",
  {
    name: "the real CIFAR-10 archive: test batch has 10,000 records, 1,000 per class",
    fn: async () => {
      const test = await loadCifarFromArchive(shared, "cifar10", "test");
      assert.equal(test.labels.length, 10_000);
      assert.equal(test.pixelsNHWC.length, 10_000 * 32 * 32 * 3);
      const perClass = new Array(10).fill(0);
      for (const label of test.labels) perClass[label]++;
      assert.deepEqual(perClass, new Array(10).fill(1000));
      assert.deepEqual(test.classNames, [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
      ]);
      let sum = 0;
      for (const byte of test.pixelsNHWC) sum += byte;
      const mean = sum / test.pixelsNHWC.length / 255;
      assert.ok(mean > 0.4 && mean < 0.55, `mean pixel ${mean} is not that of natural images`);
    },
  },
);

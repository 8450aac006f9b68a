import assert from "node:assert/strict";
import { factDocument, haystackText } from "../../train/fact_corpus.ts";

const storyPet = JSON.parse(
  await Deno.readTextFile(new URL("../../eval/templates/story_pet.json", import.meta.url)),
);

Deno.test("factDocument: deterministic per (seed, index); every question's answer was stated before it", () => {
  assert.equal(factDocument(3, 9), factDocument(3, 9));
  assert.notEqual(factDocument(3, 9), factDocument(3, 10));
  assert.notEqual(factDocument(3, 9), factDocument(4, 9));
  let petQuestions = 0, numberQuestions = 0, songs = 0, drills = 0;
  for (let i = 0; i < 300; i++) {
    const doc = factDocument(3, 10_000 + i);
    const drill = doc.match(
      /(\w+) sang a funny song: ([a-z ]+)\. .*Then \1 sang it again: \2\. .*And once more: \2\.$/,
    );
    if (drill) {
      drills++;
      continue;
    }
    const [body, ...questions] = doc.split("\n").filter((l) =>
      !l.startsWith("A special magic number is hidden")
    );
    assert.ok(questions.length >= 1);
    for (const q of questions) {
      const pet = q.match(/(?:The name of the (\w+) was|that (\w+) had\? It was) (\w+)\.$/);
      const num = q.match(/mentioned in the provided text is (\d{7})\.$/);
      const song = q.match(/^What did (\w+) sing\? \1 sang: ([a-z ]+)\.$/);
      if (song) {
        songs++;
        assert.ok(body.includes(`${song[1]} sang a funny song: ${song[2]}.`));
        continue;
      }
      assert.ok(pet || num, `unexpected question: ${q}`);
      if (pet) {
        petQuestions++;
        assert.match(body, new RegExp(`(named|called) ${pet[3]}\\.`), `${pet[3]} not stated in ${doc}`);
      } else {
        numberQuestions++;
        assert.ok(body.includes(`is: ${num![1]}.`));
      }
    }
  }
  console.log(
    `300 documents: ${drills} drills; ${petQuestions} pet, ${numberQuestions} number, ${songs} song questions`,
  );
  assert.ok(drills > 50 && petQuestions > 200 && numberQuestions > 70 && songs > 70);
});

Deno.test("factDocument: the corpus starts with a copy-drill curriculum (90% drills, then 30%)", () => {
  const drills = (from: number) =>
    Array.from({ length: 500 }, (_, i) => factDocument(1, from + i)).filter((d) =>
      d.includes("And once more:")
    )
      .length;
  const early = drills(0), late = drills(10_000);
  console.log(`drills: ${early}/500 of the first documents, ${late}/500 after the curriculum`);
  assert.ok(early > 420 && late > 100 && late < 200);
  assert.equal(drills(0), early, "deterministic");
});

Deno.test("factDocument: filler length is a parameter; owners and animals are distinct within a document", () => {
  const len = (filler: [number, number]) => factDocument(1, 20_000, { filler, drillChance: 0 }).length;
  assert.ok(len([100, 100]) > 4 * len([0, 0]));
  for (let i = 0; i < 200; i++) {
    const owners = [...factDocument(1, 10_000 + i).matchAll(/(\w+) had a (?:pet )?(\w+)/g)];
    assert.equal(new Set(owners.map((m) => m[1])).size, owners.length);
    assert.equal(new Set(owners.map((m) => m[2])).size, owners.length);
  }
});

Deno.test("the corpus uses the story-pet needle's exact sentences; the haystack states no facts", () => {
  const text = Array.from({ length: 200 }, (_, i) => factDocument(1, 10_000 + i)).join("\n");
  const needleRe = new RegExp(storyPet.needle.replace(/\{(\w+)\}/g, "\\w+").replace(/\./g, "\\."));
  const questionRe = new RegExp(storyPet.question.replace(/\{(\w+)\}/g, "\\w+").replace(/\./g, "\\."));
  assert.match(text, needleRe);
  assert.match(text, questionRe);
  const hay = haystackText(2, 50);
  assert.equal(hay, haystackText(2, 50));
  assert.equal(hay.split("\n\n").length, 50);
  assert.doesNotMatch(hay, /named|called|magic|[0-9]/);
});

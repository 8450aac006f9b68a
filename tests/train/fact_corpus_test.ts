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
    const doc = factDocument(3, i);
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
  assert.ok(
    petQuestions > 300 && numberQuestions > 100,
    `${petQuestions} pet, ${numberQuestions} number questions`,
  );
});

Deno.test("factDocument: filler length is a parameter; owners and animals are distinct within a document", () => {
  const len = (filler: [number, number]) => factDocument(1, 2, { filler, drillChance: 0 }).length;
  assert.ok(len([100, 100]) > 4 * len([0, 0]));
  for (let i = 0; i < 200; i++) {
    const owners = [...factDocument(1, i).matchAll(/(\w+) had a (?:pet )?(\w+)/g)];
    assert.equal(new Set(owners.map((m) => m[1])).size, owners.length);
    assert.equal(new Set(owners.map((m) => m[2])).size, owners.length);
  }
});

Deno.test("the corpus uses the story-pet needle's exact sentences; the haystack states no facts", () => {
  const text = Array.from({ length: 200 }, (_, i) => factDocument(1, i)).join("\n");
  const needleRe = new RegExp(storyPet.needle.replace(/\{(\w+)\}/g, "\\w+").replace(/\./g, "\\."));
  const questionRe = new RegExp(storyPet.question.replace(/\{(\w+)\}/g, "\\w+").replace(/\./g, "\\."));
  assert.match(text, needleRe);
  assert.match(text, questionRe);
  const hay = haystackText(2, 50);
  assert.equal(hay, haystackText(2, 50));
  assert.equal(hay.split("\n\n").length, 50);
  assert.doesNotMatch(hay, /named|called|magic|[0-9]/);
});

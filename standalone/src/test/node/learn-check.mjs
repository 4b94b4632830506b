// Drives a standalone livetune with the official openai SDK, as an application would, and prints
// what it saw as one JSON object; StandaloneIT makes the assertions.
// Env: OPENAI_BASE_URL, OPENAI_API_KEY, QUESTION, FACT, PROMPTS (JSON array, "defaults" only),
// TEACH (JSON array of chat messages, "teach" only: each a [Learn] or [Forget], sent and waited for in
// turn), QUESTIONS (JSON array, "teach" and "recall").
// Argument: "learn" (ask, teach, wait, ask in a new session), "ask" (ask in a new session, after a
// restart) or "defaults" (each of PROMPTS in a new session, with no sampling parameters at all: the
// call as the SDK's examples write it), "teach" (each of TEACH in turn, waiting for its job, then
// QUESTIONS in new sessions), "recall" (QUESTIONS in new sessions) or "supervised" (BAD refused as an
// upload; TRAIN, a JSON array of JSONL lines, uploaded and fine-tuned on with EPOCHS epochs, its events
// followed until it ends, its checkpoints listed, QUESTIONS asked of the model it made, that model's
// deletion refused (it is live) and OLD deleted), or "tools" (TRAIN, JSONL lines with tools and calls,
// fine-tuned on as alias "tools" with EPOCHS epochs; then, for each of CITIES, the model offered TOOL
// calls it, streamed and not, is sent RESULTS[city] as the call's result and answers).
import OpenAI, { toFile } from 'openai';
import { randomUUID } from 'node:crypto';

const client = new OpenAI({ maxRetries: 0, timeout: 120_000 });
const phase = process.argv[2];
const out = { phase };

async function ask(session) {
  const r = await client.chat.completions.create(
    { model: 'default', messages: [{ role: 'user', content: process.env.QUESTION }], temperature: 0, max_tokens: 80 },
    session ? { headers: { 'X-Session-Id': session } } : undefined);
  return { content: r.choices[0].message.content, servedBy: r.system_fingerprint };
}

async function waitFor(jobId) {
  const deadline = Date.now() + 15 * 60_000;
  let job = await client.fineTuning.jobs.retrieve(jobId);
  while (!['succeeded', 'failed', 'cancelled'].includes(job.status) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    job = await client.fineTuning.jobs.retrieve(jobId);
  }
  return job;
}

async function askAll() {
  const answers = [];
  for (const q of JSON.parse(process.env.QUESTIONS)) {
    const r = await client.chat.completions.create(
      { model: 'default', messages: [{ role: 'user', content: q }], temperature: 0, max_tokens: 80 },
      { headers: { 'X-Session-Id': 'it-' + randomUUID() } });
    answers.push({ question: q, content: r.choices[0].message.content });
  }
  return answers;
}

if (phase === 'learn') {
  out.before = await ask(null);
  const session = 'it-' + randomUUID();
  const learn = await client.chat.completions.create(
    { model: 'default', messages: [{ role: 'user', content: '[Learn] ' + process.env.FACT }] },
    { headers: { 'X-Session-Id': session } });
  out.learnReply = learn.choices[0].message.content;
  const jobId = learn.livetune_job_id;
  out.jobId = jobId;
  const deadline = Date.now() + 15 * 60_000;
  let job = await client.fineTuning.jobs.retrieve(jobId);
  while (!['succeeded', 'failed', 'cancelled'].includes(job.status) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    job = await client.fineTuning.jobs.retrieve(jobId);
  }
  out.job = { id: job.id, status: job.status, fineTunedModel: job.fine_tuned_model, error: job.error };
  const events = await client.fineTuning.jobs.listEvents(jobId, { limit: 100 });
  out.events = events.data.map((e) => e.message).reverse();
  out.after = await ask('it-' + randomUUID());
} else if (phase === 'ask') {
  out.afterRestart = await ask('it-' + randomUUID());
} else if (phase === 'teach') {
  out.jobs = [];
  for (const message of JSON.parse(process.env.TEACH)) {
    const started = Date.now();
    const r = await client.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: message }] });
    const job = await waitFor(r.livetune_job_id);
    const events = await client.fineTuning.jobs.listEvents(job.id, { limit: 100 });
    out.jobs.push({ message, id: job.id, status: job.status, error: job.error, fineTunedModel: job.fine_tuned_model,
      seconds: (Date.now() - started) / 1000, events: events.data.map((e) => e.message).reverse() });
  }
  out.answers = await askAll();
} else if (phase === 'recall') {
  out.answers = await askAll();
} else if (phase === 'defaults') {
  out.replies = [];
  for (const prompt of JSON.parse(process.env.PROMPTS)) {
    const r = await client.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: prompt }] });
    out.replies.push({ prompt, content: r.choices[0].message.content });
  }
} else if (phase === 'supervised') {
  const errorOf = async (call) => {
    try {
      await call();
      return 'no error';
    } catch (e) {
      return { status: e.status ?? null, code: e.code ?? null, param: e.param ?? null, message: e.message };
    }
  };
  const jsonl = (name, lines) => toFile(Buffer.from(JSON.parse(lines).join('\n')), name);
  out.badUpload = await errorOf(async () => client.files.create({ file: await jsonl('bad.jsonl', process.env.BAD),
    purpose: 'fine-tune' }));
  const file = await client.files.create({ file: await jsonl('support.jsonl', process.env.TRAIN), purpose: 'fine-tune' });
  let job = await client.fineTuning.jobs.create({ training_file: file.id, model: 'default', seed: 7,
    hyperparameters: { n_epochs: Number(process.env.EPOCHS) } });
  const seen = new Map();
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    for (const e of (await client.fineTuning.jobs.listEvents(job.id, { limit: 100 })).data) {
      seen.set(e.id, e);
    }
    if (['succeeded', 'failed', 'cancelled'].includes(job.status) || Date.now() > deadline) {
      break;
    }
    await new Promise((r) => setTimeout(r, 1000));
    job = await client.fineTuning.jobs.retrieve(job.id);
  }
  out.job = { id: job.id, status: job.status, fineTunedModel: job.fine_tuned_model, error: job.error, seed: job.seed,
    hyperparameters: job.hyperparameters, mode: job.livetune_mode };
  out.events = [...seen.values()].sort((a, b) => a.created_at - b.created_at).map((e) => e.message);
  out.metrics = [...seen.values()].filter((e) => e.type === 'metrics').map((e) => e.data);
  out.checkpoints = (await client.fineTuning.jobs.checkpoints.list(job.id)).data.map((c) => ({
    model: c.fine_tuned_model_checkpoint, step: c.step_number, metrics: c.metrics, job: c.fine_tuning_job_id }));
  out.answers = [];
  for (const q of JSON.parse(process.env.QUESTIONS)) {
    const r = await client.chat.completions.create({ model: job.fine_tuned_model,
      messages: [{ role: 'user', content: q }], temperature: 0, max_tokens: 80 },
      { headers: { 'X-Session-Id': 'it-' + randomUUID() } });
    out.answers.push({ question: q, content: r.choices[0].message.content, servedBy: r.system_fingerprint });
  }
  out.deleteLive = await errorOf(() => client.models.delete(job.fine_tuned_model));
  out.deleted = await client.models.delete(process.env.OLD);
} else if (phase === 'tools') {
  const file = await client.files.create({
    file: await toFile(Buffer.from(JSON.parse(process.env.TRAIN).join('\n')), 'weather.jsonl'), purpose: 'fine-tune' });
  const job = await waitFor((await client.fineTuning.jobs.create({ training_file: file.id, model: 'livetune-base',
    suffix: 'tools', seed: 7, hyperparameters: { n_epochs: Number(process.env.EPOCHS) } })).id);
  out.job = { id: job.id, status: job.status, fineTunedModel: job.fine_tuned_model, error: job.error };
  const tools = [JSON.parse(process.env.TOOL)];
  const results = JSON.parse(process.env.RESULTS);
  out.cities = [];
  for (const city of JSON.parse(process.env.CITIES)) {
    const asked = [{ role: 'user', content: `Weather in ${city}?` }];
    const r = await client.chat.completions.create({ model: job.fine_tuned_model, messages: asked, tools,
      tool_choice: 'auto', temperature: 0, max_tokens: 120 });
    const message = r.choices[0].message;
    // the same request streamed: the call's deltas, assembled as a client does
    const streamed = {};
    let streamedFinish = null;
    const stream = await client.chat.completions.create({ model: job.fine_tuned_model, messages: asked, tools,
      temperature: 0, max_tokens: 120, stream: true });
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      for (const d of choice?.delta?.tool_calls ?? []) {
        const call = streamed[d.index] ??= { id: '', name: '', arguments: '' };
        call.id += d.id ?? '';
        call.name += d.function?.name ?? '';
        call.arguments += d.function?.arguments ?? '';
      }
      streamedFinish = choice?.finish_reason ?? streamedFinish;
    }
    const entry = { city, finish: r.choices[0].finish_reason, content: message.content,
      calls: (message.tool_calls ?? []).map((c) => ({ id: c.id, type: c.type, name: c.function.name,
        arguments: c.function.arguments })), streamed: Object.values(streamed), streamedFinish };
    if (message.tool_calls?.length) {
      const answer = await client.chat.completions.create({ model: job.fine_tuned_model, tools, temperature: 0,
        max_tokens: 80, messages: [...asked, message,
          { role: 'tool', tool_call_id: message.tool_calls[0].id, content: results[city] }] });
      entry.answer = answer.choices[0].message.content;
      entry.answerFinish = answer.choices[0].finish_reason;
    }
    out.cities.push(entry);
  }
} else {
  throw new Error('phase must be learn, ask, defaults, teach, recall, supervised or tools');
}
out.models = (await client.models.list()).data.map((m) => m.id);
console.log(JSON.stringify(out));

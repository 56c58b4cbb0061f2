// The worker protocol: the messages between the page (python_worker.js) and webgrad's Python
// worker (worker.js), both directions, spelled once. Each message is {type: MSG.X, ...fields}.
//
//   page -> worker  RUN     {id, code}                    run Python in the console's namespace
//                   CALL    {id, method, args}            await app.method(args) (the worker's ?app=)
//   worker -> page  RESULT  {id, ok, value, error}        what a CALL returned (ArrayBuffers moved)
//                   STATUS  {text}                        loading progress
//                   NOGPU   {reason, help}                no WebGPU here; the worker stops
//                   FAILED  {error}                       loading failed otherwise
//                   READY   {device, adapter, timings,    timings: ms per loading phase; python:
//                            python}                      "snapshot" or "boot" (how Python started)
//                   STDOUT, STDERR {text}                 output of a run, as it is printed
//                   DONE    {id, ok, ms}                  a run ended (ok: no exception)
export const MSG = Object.freeze({
  RUN: "run",
  CALL: "call",
  RESULT: "result",
  STATUS: "status",
  NOGPU: "nogpu",
  FAILED: "failed",
  READY: "ready",
  STDOUT: "stdout",
  STDERR: "stderr",
  DONE: "done",
});

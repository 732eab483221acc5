/*
 * serve.h - `tunerd-worker serve`: a model server under SageMaker's
 * inference contract (GET /ping, POST /invocations on the port in
 * SAGEMAKER_BIND_TO_PORT or --port), started by tunerd for each instance
 * of an endpoint's variant.
 *
 *   tunerd-worker serve --model PATH [--port N] [--host ADDR] [--socket P]
 *       serves a built-in model (model.tar.gz, its directory or model.json)
 *   tunerd-worker serve --exec --model-dir DIR [--model PATH] --image IMAGE
 *       Script Mode: unpacks PATH into DIR, sets SM_MODEL_DIR=DIR and execs
 *       "<runtime> <SAGEMAKER_PROGRAM> serve" (or "<IMAGE> serve")
 */
#ifndef TD_SERVE_H
#define TD_SERVE_H

/* argv[0] is "serve". Returns the process exit status (0 after SIGTERM). */
int serve_main(int argc, char **argv);

#endif

"""Step Functions in the devstack: the repository's ASL documents, run by moto's interpreter, their
Lambda tasks carried out by the app's own `@app.lambda_function`s, in this process.

- Provisioning (`provision_state_machines`) turns on moto's interpreter through its configuration
  API (`POST /moto-api/config {"stepfunctions": {"execute_state_machine": true}}`: machines created
  before that never run), then creates or updates each `resources.StateMachine` from its ASL file,
  with the `${<function name>}` placeholders (Terraform's templatefile syntax, see
  `chalicelib.core.resources.StateMachine`) replaced by local Lambda ARNs
  (`arn:aws:lambda:<region>:<account>:function:<app>-<stage>-<name>`, Chalice's naming).
- moto runs each execution in a worker thread of its own; a Lambda task there calls
  `lambda_eval_utils._invoke_lambda_function`, which `LambdaDispatcher.install()` replaces with a
  call of the app's handler through the event runtime (Lambda's context, logs, errors as Lambda
  reports them: `FunctionError: Unhandled` and `{"errorType", "errorMessage"}`, which Retry and
  Catch match on `errorType`). moto's Lambda backend would start a container instead.
- Invariant: a handler never runs while the emulator's request lock is held (it would deadlock on
  its own first AWS call). The worker threads hold no lock; the dispatcher checks it.

Executions are always started with a name (the order id for the order workflow): AWS keeps a
Standard execution's name unique for 90 days, which is what makes a duplicate start harmless.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devstack.env import ACCOUNT_ID, PROJECT_DIR, REGION
from devstack.runtime import aws_client

if TYPE_CHECKING:
    from chalicelib.core.resources import StateMachine
    from devstack.runtime import EventRuntime

log = logging.getLogger("devstack.stepfunctions")

# `${name}`: Terraform templatefile's interpolation of a plain variable. ASL's JSONPath (`$.a`,
# `$$.Execution.Id`) never has a brace after the dollar, so it cannot match.
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ANY_INTERPOLATION = re.compile(r"\$\{")


def function_arn(name: str, app_name: str = "stockroom", stage: str = "local") -> str:
    """The local ARN of an `@app.lambda_function` (Chalice names functions `<app>-<stage>-<name>`)."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{app_name}-{stage}-{name}"


def placeholders(asl: str) -> set[str]:
    """The function names an ASL document refers to."""
    return set(PLACEHOLDER.findall(asl))


def render(asl: str, arn_for: Callable[[str], str] = function_arn) -> str:
    """The ASL document with every `${name}` replaced by `arn_for(name)`; its JSON is checked.

    Plain text substitution (never `string.Template`, which would read `$$.` as an escape).
    """
    if len(_ANY_INTERPOLATION.findall(asl)) != len(PLACEHOLDER.findall(asl)):
        raise ValueError("ASL document: `${` is only for function placeholders like ${authorize_payment}")
    rendered = PLACEHOLDER.sub(lambda match: arn_for(match[1]), asl)
    json.loads(rendered)  # a broken document fails here, not at its first execution
    return rendered


def machine_name(machine: StateMachine, stage_env: Mapping[str, str]) -> str:
    """The physical name, from the machine's ARN in the stage's environment."""
    return stage_env[machine.env].rsplit(":", 1)[-1]


def enable_execution(endpoint: str | None) -> None:
    """moto executes state machines only when told to, before they are created."""
    config = {"stepfunctions": {"execute_state_machine": True}}
    if endpoint is None:  # moto's in-process mock (integration tests)
        from moto.core.config import default_user_config

        default_user_config["stepfunctions"] = {
            **default_user_config.get("stepfunctions", {}),
            **config["stepfunctions"],
        }
        return
    import urllib.request

    request = urllib.request.Request(
        f"{endpoint}/moto-api/config",
        data=json.dumps(config).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def provision_state_machines(
    endpoint: str | None,
    machines: Iterable[StateMachine],
    stage_env: Mapping[str, str],
    *,
    project_dir: Path = PROJECT_DIR,
    arn_for: Callable[[str], str] = function_arn,
) -> dict[str, str]:
    """Create (or bring up to date) each machine from its ASL file: key -> ARN. Re-runnable."""
    machines = list(machines)
    if not machines:
        return {}
    enable_execution(endpoint)
    sfn = aws_client("stepfunctions", endpoint)
    existing = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    arns: dict[str, str] = {}
    for machine in machines:
        name = machine_name(machine, stage_env)
        definition = render((project_dir / machine.asl_path).read_text(), arn_for)
        if name in existing:
            sfn.update_state_machine(stateMachineArn=existing[name], definition=definition)
            arns[machine.key] = existing[name]
        else:
            arns[machine.key] = sfn.create_state_machine(
                name=name,
                definition=definition,
                roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
                type=machine.type,
            )["stateMachineArn"]
    return arns


# --- Lambda tasks, in process ---------------------------------------------------------------------


class LambdaDispatcher:
    """Carries out the Lambda tasks of moto's interpreter with the runtime's app."""

    def __init__(self, runtime: EventRuntime) -> None:
        self.runtime = runtime

    def function_name(self, function: str) -> str:
        """The app's function for an ARN (`...:function:<app>-<stage>-<name>[:qualifier]`) or name."""
        name = function.split(":function:", 1)[-1].split(":", 1)[0]
        prefix = f"{self.runtime.app.app_name}-{self.runtime.stage}-"
        name = name.removeprefix(prefix)
        known = [f.name for f in self.runtime.app.pure_lambda_functions]
        if name not in known:
            raise LookupError(f"no @app.lambda_function {name!r} for {function!r}; the app has {known}")
        return name

    def invoke(
        self, parameters: Mapping[str, Any], region: str = REGION, state_credentials: Any = None
    ) -> dict[str, Any]:
        """Lambda's Invoke, answered as Lambda answers it (what moto's task code expects back)."""
        from devstack.emulator import holding_request_lock

        if holding_request_lock():
            raise RuntimeError("a Lambda handler must never run under the emulator's request lock")
        name = self.function_name(str(parameters["FunctionName"]))
        raw = parameters.get("Payload")
        text = raw.decode() if isinstance(raw, bytes | bytearray) else raw
        event = json.loads(text) if isinstance(text, str) and text else (text if text is not None else {})
        invocation = self.runtime.invoke(name, event, records=1)
        response: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
        if invocation.ok:
            # What Lambda sends back is the handler's result as JSON.
            response["Payload"] = json.loads(json.dumps(invocation.result, default=str))
        else:
            response["FunctionError"] = "Unhandled"
            response["Payload"] = {
                "errorType": invocation.error_type or "Exception",
                "errorMessage": invocation.error_message or "",
                "requestId": invocation.request_id,
                "stackTrace": [],
            }
        return response

    def install(self) -> LambdaDispatcher:
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

        with _install_lock:
            lambda_eval_utils._invoke_lambda_function = self.invoke  # type: ignore[assignment]
        log.debug("Step Functions Lambda tasks dispatched to %s", self.runtime.app.app_name)
        return self


_install_lock = threading.Lock()

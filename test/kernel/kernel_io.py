"""What the kernel checks share: one cell executed through jupyter_client, its reply and its iopub
messages up to the cell's `idle`."""


def run_cell(kc, code, timeout=60, **kw):
    """Executes code; returns (reply content, list of iopub messages for this request)."""
    msg_id = kc.execute(code, **kw)
    msgs = []
    while True:
        m = kc.get_iopub_msg(timeout=timeout)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return reply["content"], msgs

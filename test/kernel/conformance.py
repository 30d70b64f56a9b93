"""The Jupyter project's kernel conformance suite (jupyter_kernel_test, Debian's python3-jupyter-kernel-test)
against the installed TransferLab kernelspec: every message is validated against the v5 message spec.

Usage: JUPYTER_PATH=<data dir with kernels/transferlab> python3 conformance.py
"""
import unittest

import jupyter_kernel_test


class TransferLabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "transferlab"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("to stderr")'
    completion_samples = [{"text": "Math.flo", "matches": {"floor"}}, {"text": "%lsmag", "matches": {"%lsmagic"}}]
    complete_code_samples = ["1 + 1", "const x = 2;", "function f() { return 1; }", "%lsmagic"]
    incomplete_code_samples = ["function f() {", "const a = [1,", "if (true) {"]
    code_generate_error = 'throw new Error("boom")'
    code_execute_result = [{"code": "6 * 7", "result": "42"}, {"code": "[1, 2].length", "result": "2"}]
    code_display_data = [
        {"code": 'display.html("<b>bold</b>")', "mime": "text/html"},
        {"code": 'display.markdown("*x*")', "mime": "text/markdown"},
    ]
    code_history_pattern = "6*7"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "Math.floor"
    code_clear_output = "display.clear()"


if __name__ == "__main__":
    unittest.main(verbosity=2)

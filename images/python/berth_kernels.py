"""The notebook server's kernel manager, with its watch on the kernels' activity made sure of.

The server learns whether a kernel is busy from the kernel's IOPub messages, and Berth's idle
culler asks it (/api/kernels) before pausing or stopping a server. Here (Debian's notebook 6.4,
jupyter_client 7, pyzmq 24) the socket that watches a new kernel often never receives a message,
so the kernel says 'starting' for ever, even while it runs a cell; and a kernel no client has
spoken to says 'starting' for ever too. A kernel still 'starting' a few seconds after it started
is asked for its kernel_info on its shell channel (watched again through a new socket if nothing
was heard from it): a kernel at rest answers at once, with an idle status; one at work answers
only after its cell, and is busy meanwhile.
"""
from notebook.services.kernels.kernelmanager import MappingKernelManager
from tornado.ioloop import IOLoop

RECHECK_SECONDS = 3
ANSWER_SECONDS = 1


class KernelManager(MappingKernelManager):
    def start_watching_activity(self, kernel_id):
        super().start_watching_activity(kernel_id)
        kernel = self._kernels[kernel_id]
        began = kernel.last_activity
        IOLoop.current().call_later(RECHECK_SECONDS, self._watch_again, kernel_id, kernel, began)

    def _watch_again(self, kernel_id, kernel, began):
        if self._kernels.get(kernel_id) is not kernel or kernel.execution_state != 'starting':
            return
        if kernel.last_activity == began:
            if kernel._activity_stream:
                kernel._activity_stream.close()
            super().start_watching_activity(kernel_id)
        shell = kernel.connect_shell()
        answered = []

        def on_reply(_msg):
            answered.append(True)
            shell.close()

        def unanswered():
            if not answered and kernel.execution_state == 'starting':
                kernel.execution_state = 'busy'

        shell.on_recv(on_reply)
        kernel.session.send(shell, 'kernel_info_request')
        IOLoop.current().call_later(ANSWER_SECONDS, unanswered)

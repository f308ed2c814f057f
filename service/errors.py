"""Domain exceptions. Each carries a fixed public message, a stable problem type and an HTTP status.

The API maps every subclass of VeilError to RFC 9457 problem+json in one handler
(``service/api/problems.py``); messages never echo input or library text.
"""

from __future__ import annotations


class VeilError(Exception):
    """Base of every error Veil reports to a caller."""

    type_slug = "internal"
    status = 500
    title = "Internal error"
    public_detail = "The request could not be processed. No image data was returned."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.public_detail)
        self.detail = detail or self.public_detail


class UnsupportedMediaError(VeilError):
    type_slug = "unsupported-media-type"
    status = 415
    title = "Unsupported media type"
    public_detail = ("The file type is not supported: send JPEG, PNG or WebP images, "
                     "or MP4/MOV, MKV/WebM or AVI videos.")


class TooLargeError(VeilError):
    type_slug = "payload-too-large"
    status = 413
    title = "Payload too large"
    public_detail = "The file or its pixel count exceeds the configured limit."


class UriTooLongError(VeilError):
    type_slug = "uri-too-long"
    status = 414
    title = "URI too long"
    public_detail = ("The request line is longer than 16 KiB. Send large options (regions, ignore) as "
                     "multipart fields in the body.")


class HeadersTooLargeError(VeilError):
    type_slug = "headers-too-large"
    status = 431
    title = "Request header fields too large"
    public_detail = "The request's headers are larger than 32 KiB."


class UndecodableError(VeilError):
    type_slug = "undecodable-media"
    status = 422
    title = "Undecodable media"
    public_detail = "The file could not be decoded completely."


class InvalidOptionsError(VeilError):
    type_slug = "invalid-options"
    status = 422
    title = "Invalid options"
    public_detail = "One or more options are invalid."


class NotReadyError(VeilError):
    type_slug = "not-ready"
    status = 503
    title = "Service not ready"
    public_detail = "Models are not loaded yet. Retry shortly."


class ModelError(VeilError):
    type_slug = "model-failure"
    status = 500
    title = "Model failure"
    public_detail = "Inference failed; no image data was returned."


class ConfigurationError(VeilError):
    type_slug = "configuration"
    status = 500
    title = "Configuration error"
    public_detail = "The service is misconfigured."


class UnauthorizedError(VeilError):
    type_slug = "unauthorized"
    status = 401
    title = "Unauthorized"
    public_detail = "Send a valid API key (Authorization: Bearer <key> or X-API-Key)."


class IdempotencyMismatchError(VeilError):
    type_slug = "idempotency-key-reused"
    status = 422
    title = "Idempotency key reused"
    public_detail = "This Idempotency-Key was already used for a different request."


class BusyError(VeilError):
    type_slug = "busy"
    status = 503
    title = "Busy"
    public_detail = "All workers are busy and the wait queue is full. Retry after the time given."

    def __init__(self, detail: str | None = None, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class QueueUnavailableError(VeilError):
    type_slug = "queue-unavailable"
    status = 503
    title = "Job queue unavailable"
    public_detail = "The job queue (Redis) cannot be reached. Retry shortly; images are still served."


class RequestTimeoutError(VeilError):
    type_slug = "request-timeout"
    status = 504
    title = "Request timed out"
    public_detail = ("Processing took longer than the configured limit (VEIL_REQUEST_TIMEOUT_SECONDS); no "
                     "image data was returned. Send long videos to /v1/jobs.")


class JobTimeoutError(VeilError):
    type_slug = "job-timeout"
    status = 504
    title = "Job timed out"
    public_detail = ("The job ran longer than the configured limit (VEIL_JOB_TIMEOUT_SECONDS); its files "
                     "were deleted.")


class JobNotFoundError(VeilError):
    type_slug = "job-not-found"
    status = 404
    title = "Job not found"
    public_detail = "No such job (it may have been deleted or expired)."


class JobNotFinishedError(VeilError):
    type_slug = "job-not-finished"
    status = 409
    title = "Job not finished"
    public_detail = "The job has no result yet, or it failed. Check its status."


class JobExpiredError(VeilError):
    type_slug = "job-expired"
    status = 410
    title = "Result gone"
    public_detail = "The result was already downloaded or has expired."


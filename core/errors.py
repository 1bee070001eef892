"""The one vocabulary of error codes: every code an API response, a page's JSON or a socket frame may
carry, once, with its HTTP status and its meaning in English and Chinese.

`ApplicationError` takes its status from here; the exception handler maps DRF's own errors onto
these codes; the OpenAPI description and the README list this table (`markdown_table`), and
tests/core/test_error_registry.py fails on any code used in the code base or seen in a response that
is not registered here. Socket frames use the same codes; their status is what the code means over HTTP.
"""

from dataclasses import dataclass

from rest_framework import status


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int
    en: str
    zh: str


_CODES = (
    # Generic: request shape, authentication, permissions, protocol (DRF's own codes keep their names).
    ErrorCode("invalid", 400, "The request is not valid; `fields` names what is wrong.",
              "请求无效；`fields` 指出出错的字段。"),
    ErrorCode("parse_error", 400, "The body could not be parsed in its content type.",
              "请求体无法按其内容类型解析。"),
    ErrorCode("too_deep", 400, "The JSON body nests deeper than allowed.", "JSON 请求体嵌套层数超出上限。"),
    ErrorCode("not_authenticated", 401, "No credentials were given.", "未提供身份凭证。"),
    ErrorCode("authentication_failed", 401, "The credentials are wrong or expired.", "身份凭证错误或已过期。"),
    ErrorCode("bad_signature", 403, "A webhook's signature is missing or wrong, or its source is unknown.",
              "回调签名缺失或错误，或来源未知。"),
    ErrorCode("permission_denied", 403, "Signed in, but not allowed to do this.", "已登录，但无权执行此操作。"),
    ErrorCode("two_factor_required", 403, "Staff must finish two-factor sign-in first.", "员工须先完成双因素登录。"),
    ErrorCode("own_review", 403, "Nobody reviews or resolves an appeal of their own work.",
              "不能评审自己的工作或处理自己的申诉。"),
    ErrorCode("not_found", 404, "No such object, or it is not yours to see.", "对象不存在，或无权查看。"),
    ErrorCode("method_not_allowed", 405, "This method is not offered here.", "此地址不支持该请求方法。"),
    ErrorCode("not_acceptable", 406, "No response in the media type asked for in Accept.",
              "无法以 Accept 要求的媒体类型响应。"),
    ErrorCode("conflict", 409, "A concurrent request changed the object; retry.", "对象已被并发请求修改；请重试。"),
    ErrorCode("invalid_transition", 409, "That step is not possible in the object's current state.",
              "对象当前状态下不能执行此步骤。"),
    ErrorCode("idempotency_key_in_use", 409, "A concurrent request holds this Idempotency-Key; retry shortly.",
              "并发请求正在使用此幂等键；请稍后重试。"),
    ErrorCode("too_large", 413, "The body or a file is larger than allowed.", "请求体或文件超出大小上限。"),
    ErrorCode("unsupported_media_type", 415, "The body's content type is not accepted here.",
              "此地址不接受该内容类型的请求体。"),
    ErrorCode("idempotency_key_reused", 422, "This Idempotency-Key was used for a different request.",
              "此幂等键已用于另一个请求。"),
    ErrorCode("throttled", 429, "Too many requests; wait and retry.", "请求过于频繁；请稍候重试。"),
    ErrorCode("server_error", 500, "An unexpected error on our side; it is logged.", "服务器内部错误，已记录。"),
    # After-sales.
    ErrorCode("reason_mismatch", 400, "Choose one of the reasons offered for this type of request.",
              "请选择该类型申请提供的原因。"),
    ErrorCode("order_cancelled", 400, "The order was cancelled.", "订单已取消。"),
    ErrorCode("active_request_exists", 400, "The item already has an after-sales request in progress.",
              "该商品已有处理中的售后申请。"),
    ErrorCode("quantity_exceeds", 400, "More items than were bought.", "数量超过购买数量。"),
    ErrorCode("amount_exceeds_refundable", 400, "The amount exceeds what can still be refunded.",
              "金额超过可退金额。"),
    ErrorCode("evidence_required", 400, "This reason needs photos.", "该原因需要上传凭证图片。"),
    ErrorCode("too_many_images", 400, "Too many images.", "图片数量超出上限。"),
    ErrorCode("not_received", 400, "The goods have not been received yet.", "尚未签收商品。"),
    ErrorCode("warranty_expired", 400, "The warranty has expired.", "保修期已过。"),
    ErrorCode("category_excluded", 400, "This category is excluded from no-reason returns.",
              "该品类不支持无理由退货。"),
    ErrorCode("opened_goods", 400, "Opened goods cannot be returned without a reason.", "已拆封商品不支持无理由退货。"),
    ErrorCode("no_reason_window_passed", 400, "The no-reason return window has passed.", "无理由退货期限已过。"),
    ErrorCode("quality_window_passed", 400, "The quality-problem window has passed.", "质量问题申请期限已过。"),
    ErrorCode("invalid_image", 400, "The file is not an image we accept.", "文件不是可接受的图片。"),
    ErrorCode("not_compensable", 400, "Only quality or logistics refund claims are compensated in advance.",
              "仅质量或物流原因的退款申请可先行赔付。"),
    ErrorCode("over_compensation_limit", 400, "Above the advance compensation limit.", "超出先行赔付上限。"),
    ErrorCode("wrong_type", 409, "This step belongs to another type of request.", "此步骤不适用于该类型的申请。"),
    ErrorCode("already_rated", 409, "It has already been rated.", "已经评价过。"),
    ErrorCode("already_compensated", 409, "The request was already compensated.", "该申请已补偿。"),
    ErrorCode("item_in_use", 409, "An item with an after-sales request cannot be removed from the order.",
              "有售后申请的商品不能从订单中移除。"),
    # Tickets, customers, knowledge, quality.
    ErrorCode("agent_unavailable", 409, "The agent is offline or at capacity.", "客服离线或已满负荷。"),
    ErrorCode("ticket_taken", 409, "Another agent took the ticket first.", "工单已被其他客服领取。"),
    ErrorCode("newer_message", 409, "A newer public message arrived since the page loaded; read it, then confirm.",
              "页面加载后有新的公开消息；请先阅读，再确认发送。"),
    ErrorCode("survey_token_invalid", 400, "The survey link is wrong or expired.", "满意度调查链接无效或已过期。"),
    ErrorCode("malformed_mime", 400, "The e-mail could not be read as MIME.", "邮件无法按 MIME 解析。"),
    ErrorCode("merge_refused", 409, "These customers cannot be merged.", "这些客户不能合并。"),
    ErrorCode("open_chats", 409, "The customer still has open chats.", "客户仍有进行中的会话。"),
    ErrorCode("system_only", 409, "Only the scheduler takes this step.", "此步骤仅由系统调度执行。"),
    ErrorCode("own_article", 403, "The reviewer must not be the author.", "审核人不能是作者。"),
    ErrorCode("macro_refused", 400, "A step of the macro was refused or cannot resolve; the ticket is unchanged.",
              "宏的某一步被拒绝或无法解析；工单未作修改。"),
    # Chat (HTTP uploads and socket frames).
    ErrorCode("invalid_json", 400, "A socket frame that is not a JSON object.", "消息帧不是 JSON 对象。"),
    ErrorCode("invalid_frame", 400, "A socket frame is missing a field or has one of the wrong type.",
              "消息帧缺少字段或字段类型错误。"),
    ErrorCode("unknown_type", 400, "A socket frame of an unknown type.", "未知类型的消息帧。"),
    ErrorCode("read_only", 400, "This socket only listens.", "此连接只接收推送。"),
    ErrorCode("invalid_channel", 400, "Unknown chat channel.", "未知的会话渠道。"),
    ErrorCode("too_long", 400, "The message is too long.", "消息过长。"),
    ErrorCode("invalid_client_id", 400, "The client id is too long.", "客户端消息编号过长。"),
    ErrorCode("empty", 400, "Type a message or attach a file.", "请输入消息或添加附件。"),
    ErrorCode("file_type_refused", 400, "This kind of file cannot be sent (checked by its content).",
              "不支持发送此类文件（按文件内容检查）。"),
    ErrorCode("invalid_attachment", 400, "That upload does not exist or is not yours.", "该上传不存在或不属于您。"),
    ErrorCode("conversation_ended", 409, "The conversation has ended.", "会话已结束。"),
    ErrorCode("not_author", 403, "Only the author changes a message.", "只能修改自己的消息。"),
    ErrorCode("recalled", 409, "The message was recalled.", "消息已撤回。"),
    ErrorCode("window_passed", 409, "Too late to change the message.", "已超过可修改消息的时限。"),
    ErrorCode("edit_limit", 409, "The message was edited as often as allowed.", "消息已达可编辑次数上限。"),
    ErrorCode("voice_too_long", 400, "The voice message is longer than allowed.", "语音消息超出时长上限。"),
    ErrorCode("not_text", 400, "Only text messages can be edited.", "只能编辑文字消息。"),
    ErrorCode("not_agent", 403, "Only agents take chats.", "只有客服可以接入会话。"),
    ErrorCode("at_capacity", 409, "The agent has no room for another chat.", "客服已达会话上限。"),
    ErrorCode("not_waiting", 409, "No chat is waiting there any more.", "该会话已不在等待中。"),
    ErrorCode("invalid_agent", 400, "Choose another agent.", "请选择其他客服。"),
    ErrorCode("invalid_rating", 400, "Choose between 1 and 5 stars.", "请选择 1 到 5 星。"),
    ErrorCode("file_too_large", 413, "The file is larger than allowed.", "文件超出大小上限。"),
    ErrorCode("empty_file", 400, "The file is empty.", "文件为空。"),
    ErrorCode("invalid_audio", 400, "Not an audio clip we can play.", "不是可播放的音频。"),
    ErrorCode("invalid_video", 400, "Only MP4 and WebM videos can be sent.", "只能发送 MP4 和 WebM 视频。"),
    ErrorCode("invalid_kind", 400, "Unknown kind of upload.", "未知的上传类型。"),
)

ERROR_CODES: dict[str, ErrorCode] = {entry.code: entry for entry in _CODES}

# DRF and Django errors that carry no code of ours are named by their status.
_CODE_FOR_STATUS = {
    status.HTTP_400_BAD_REQUEST: "invalid",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_409_CONFLICT: "conflict",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "too_large",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def status_for(code: str) -> int:
    """The HTTP status of a registered code; an unregistered one is a programming error (KeyError)."""
    return ERROR_CODES[code].status


def code_for(candidate: str, status_code: int) -> str:
    """`candidate` when registered, else the generic code of `status_code` (so no stray code leaks out)."""
    if candidate in ERROR_CODES:
        return candidate
    return _CODE_FOR_STATUS.get(status_code, "invalid" if status_code < 500 else "server_error")


def markdown_table() -> str:
    """The registry as a Markdown table, for the OpenAPI description and the README."""
    lines = ["| code | HTTP | meaning | 含义 |", "|---|---|---|---|"]
    ordered = sorted(_CODES, key=lambda e: (e.status, e.code))
    lines += [f"| `{e.code}` | {e.status} | {e.en} | {e.zh} |" for e in ordered]
    return "\n".join(lines)

"""What every spec model shares: strict models, and the field types and validators of
names, durations, labels and silences."""
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from obsgen.core import naming


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _name(v: str) -> str:
    try:
        return naming.check_name(v)
    except naming.NameNotAllowed as exc:
        raise PydanticCustomError("name_not_allowed", str(exc)) from None


def _duration(v: str) -> str:
    naming.duration_seconds(v)
    return v


def _positive(v: str) -> str:
    if naming.duration_seconds(v) <= 0:
        raise ValueError("must be longer than zero")
    return v


def _regex(pattern, what: str):
    def check(v: str) -> str:
        if not pattern.fullmatch(v):
            raise ValueError(f"{v!r} is not a valid {what}")
        return v
    return check


Duration = Annotated[str, AfterValidator(_duration), Field(examples=["30s", "5m", "1h"])]
PositiveDuration = Annotated[str, AfterValidator(_duration), AfterValidator(_positive),
                             Field(examples=["15s", "5m", "1h"])]
Name = Annotated[str, AfterValidator(_name)]


def _label_name(v: str) -> str:
    if not naming.LABEL_RE.fullmatch(v):
        raise ValueError(f"{v!r} is not a valid label name")
    if v.startswith("__"):
        raise ValueError(f"{v!r}: label names starting with __ are reserved for Prometheus")
    return v


LabelName = Annotated[str, AfterValidator(_label_name)]
MetricName = Annotated[str, AfterValidator(_regex(naming.METRIC_RE, "metric name"))]
AlertName = Annotated[str, AfterValidator(_regex(naming.ALERT_RE, "alert name"))]
Finite = Annotated[float, Field(allow_inf_nan=False)]
SeverityName = Annotated[str, Field(pattern=naming.ROUTING_NAME_RE.pattern, description="a severity defined in "
                                    "routing.severities (by default critical, warning, info)",
                                    examples=["critical", "page"])]
CategoryName = Annotated[str, Field(pattern=naming.ROUTING_NAME_RE.pattern, description="a category defined in "
                                    "routing.categories (by default infrastructure, application, business, "
                                    "security)", examples=["security", "database"])]
ChannelName = Literal["pagerduty", "slack", "email", "webhook", "sms"]
FilePath = Annotated[str, Field(min_length=1, description="path of a file the consuming tool (Prometheus, "
                                                            "Alertmanager) reads at run time")]
CheckCode = Annotated[str, Field(pattern=r"^OBS\d{3}$")]
Silences = Annotated[dict[CheckCode, Annotated[str, Field(min_length=1)]], Field(
    description="checks silenced on this object: {code: reason}. The reason is kept in the output "
                "(silenced.yaml); a silence that silences nothing is reported",
    examples=[{"OBS050": "exported by the vendor's sidecar, which has no catalog"}])]



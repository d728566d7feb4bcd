// SPDX-License-Identifier: MIT
#include "pipeline/pipelineobserver.h"

namespace iot {

PipelineObserver::~PipelineObserver() = default;

} // namespace iot

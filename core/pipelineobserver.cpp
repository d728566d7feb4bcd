// SPDX-License-Identifier: MIT
#include "pipelineobserver.h"

namespace iot {

PipelineObserver::~PipelineObserver() = default;

} // namespace iot

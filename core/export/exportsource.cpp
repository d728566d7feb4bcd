// SPDX-License-Identifier: MIT
#include "export/exportsource.h"

#include "export/pgexportsource.h"
#include "export/sqliteexportsource.h"

namespace iot {

ExportSource::~ExportSource() = default;

Result<std::unique_ptr<ExportSource>> ExportSource::connect(const DatabaseConfig &config)
{
    if (config.driver == DbDriver::Postgres) {
        auto pg = std::make_unique<PgExportSource>();
        if (Status st = pg->open(config); !st)
            return st.error();
        return std::unique_ptr<ExportSource>(std::move(pg));
    }
    auto lite = std::make_unique<SqliteExportSource>();
    if (Status st = lite->open(config.path); !st)
        return st.error();
    return std::unique_ptr<ExportSource>(std::move(lite));
}

} // namespace iot

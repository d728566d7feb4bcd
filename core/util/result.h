// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace iot {

/// A start-up error: what went wrong, in words an operator can act on.
struct Error
{
    QString message;
    bool fatal = false;  // retrying cannot help (e.g. a schema conflict): stop with exit code 2
    int line = 0;        // where in the file, when it is about one (config errors): 1-based, 0 unknown
    int column = 0;
};

/// Value-or-error for start-up paths (config, schema, command line); main maps errors to exit codes.
template <typename T>
class Result
{
public:
    Result(T value) : m_v(std::move(value)) {}
    Result(Error error) : m_v(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(m_v); }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<T>(m_v); }
    T &value() & { return std::get<T>(m_v); }
    T &&value() && { return std::get<T>(std::move(m_v)); }
    const Error &error() const { return std::get<Error>(m_v); }

private:
    std::variant<T, Error> m_v;
};

/// Result of an operation that yields nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

} // namespace iot

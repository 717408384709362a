//! Kubernetes' IP and CIDR CEL libraries (`ip()`, `isIP()`, `ip.isCanonical()`, `cidr()`,
//! `isCIDR()` and their member functions), as the API server evaluates them since 1.30: addresses
//! in Go's `netip` syntax (dotted decimal without leading zeros, RFC 4291 IPv6), no zones, no
//! IPv4-mapped IPv6. A string that does not parse is an evaluation error, which fails the rule.
//!
//! Owns these value types and functions; registers nothing itself (see the parent module).

use std::net::IpAddr;
use std::sync::Arc;

use cel::objects::Opaque;
use cel::{ExecutionError, Value};

use super::{Res, string};

/// An IP address value (`net.IP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ip(pub IpAddr);

impl Opaque for Ip {
    fn runtime_type_name(&self) -> &str {
        "net.IP"
    }
}

/// A CIDR value (`net.CIDR`): the address as written and the prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl Opaque for Cidr {
    fn runtime_type_name(&self) -> &str {
        "net.CIDR"
    }
}

fn parse_ip(raw: &str) -> Result<IpAddr, String> {
    let conversion = |why: &str| {
        format!(
            "IP Address {raw:?} parse error during conversion from string: ParseAddr({raw:?}): {why}"
        )
    };
    if raw.contains('%') {
        return Err(format!("IP address {raw:?} with zone value is not allowed"));
    }
    let addr: IpAddr = raw.parse().map_err(|_| conversion("unable to parse IP"))?;
    if let IpAddr::V6(v6) = addr
        && v6.to_ipv4_mapped().is_some()
    {
        return Err(format!("IPv4-mapped IPv6 address {raw:?} is not allowed"));
    }
    Ok(addr)
}

fn parse_cidr(raw: &str) -> Result<Cidr, String> {
    let bad = |why: &str| {
        format!(
            "network address parse error during conversion from string: netip.ParsePrefix({raw:?}): {why}"
        )
    };
    let (addr, bits) = raw.split_once('/').ok_or_else(|| bad("no '/'"))?;
    if addr.contains('%') {
        return Err(bad("IPv6 zones cannot be present in a prefix"));
    }
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| bad(&format!("ParseAddr({addr:?}): unable to parse IP")))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let digits = !bits.is_empty() && bits.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = bits.len() > 1 && bits.starts_with('0');
    let bits: u8 = match bits.parse() {
        Ok(b) if digits && !leading_zero && b <= max => b,
        _ => return Err(bad(&format!("bad bits after slash: {bits:?}"))),
    };
    if let IpAddr::V6(v6) = ip
        && v6.to_ipv4_mapped().is_some()
    {
        return Err(format!("IPv4-mapped IPv6 address {raw:?} is not allowed"));
    }
    Ok(Cidr { addr: ip, bits })
}

fn bits_of(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

impl Cidr {
    fn width(&self) -> u32 {
        if self.addr.is_ipv4() { 32 } else { 128 }
    }

    fn mask(&self) -> u128 {
        let host = self.width() - u32::from(self.bits);
        let all = if self.width() == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
        all.checked_shr(host)
            .map_or(0, |m| m.checked_shl(host).unwrap_or(0))
            & all
    }

    fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.addr.is_ipv4()
            && bits_of(ip) & self.mask() == bits_of(self.addr) & self.mask()
    }

    fn masked(&self) -> Cidr {
        let net = bits_of(self.addr) & self.mask();
        let addr = match self.addr {
            IpAddr::V4(_) => IpAddr::V4((net as u32).into()),
            IpAddr::V6(_) => IpAddr::V6(net.into()),
        };
        Cidr {
            addr,
            bits: self.bits,
        }
    }
}

fn to_value<T: Opaque>(v: T) -> Value {
    Value::Opaque(Arc::new(v))
}

fn err(f: &str, msg: impl std::fmt::Display) -> ExecutionError {
    ExecutionError::function_error(f, msg.to_string())
}

fn ip_arg(args: &[Value], i: usize, f: &str) -> Res<IpAddr> {
    match args.get(i) {
        Some(Value::Opaque(o)) => o
            .downcast_ref::<Ip>()
            .map(|ip| ip.0)
            .ok_or_else(|| err(f, "expected an IP address")),
        Some(Value::String(s)) if i > 0 => parse_ip(s).map_err(|e| err(f, e)),
        _ => Err(err(f, "expected an IP address")),
    }
}

fn cidr_arg(args: &[Value], i: usize, f: &str) -> Res<Cidr> {
    match args.get(i) {
        Some(Value::Opaque(o)) => o
            .downcast_ref::<Cidr>()
            .copied()
            .ok_or_else(|| err(f, "expected a CIDR")),
        Some(Value::String(s)) if i > 0 => parse_cidr(s).map_err(|e| err(f, e)),
        _ => Err(err(f, "expected a CIDR")),
    }
}

/// `ip(string)`.
pub fn ip(args: &[Value]) -> Res<Value> {
    let s = string(args, 0, "ip")?;
    parse_ip(s)
        .map(|a| to_value(Ip(a)))
        .map_err(|e| err("ip", e))
}

/// `isIP(string)`.
pub fn is_ip(args: &[Value]) -> Res<Value> {
    Ok(Value::Bool(parse_ip(string(args, 0, "isIP")?).is_ok()))
}

/// `ip.isCanonical(string)`: whether the string is the address's canonical form.
pub fn is_canonical(args: &[Value]) -> Res<Value> {
    let s = string(args, 0, "ip.isCanonical")?;
    let a = parse_ip(s).map_err(|e| err("ip.isCanonical", e))?;
    Ok(Value::Bool(a.to_string() == s))
}

/// `<ip>.family()`.
pub fn family(args: &[Value]) -> Res<Value> {
    Ok(Value::Int(if ip_arg(args, 0, "family")?.is_ipv4() {
        4
    } else {
        6
    }))
}

/// The address predicates of Go's `netip.Addr`, by name.
pub fn predicate(name: &str, args: &[Value]) -> Res<Value> {
    let a = ip_arg(args, 0, name)?;
    let b = bits_of(a);
    let v4 = a.is_ipv4();
    let unspecified = b == 0;
    let loopback = if v4 { b >> 24 == 127 } else { b == 1 };
    let multicast = if v4 { b >> 28 == 0xe } else { b >> 120 == 0xff };
    let link_local_unicast = if v4 {
        b >> 16 == 0xa9fe
    } else {
        b >> 118 == 0x3fa
    };
    let out = match name {
        "isUnspecified" => unspecified,
        "isLoopback" => loopback,
        "isLinkLocalMulticast" => {
            if v4 {
                b >> 8 == 0xe00000
            } else {
                b >> 112 == 0xff02
            }
        }
        "isLinkLocalUnicast" => link_local_unicast,
        "isGlobalUnicast" => {
            let broadcast = v4 && b == u128::from(u32::MAX);
            !(unspecified || loopback || multicast || link_local_unicast || broadcast)
        }
        _ => return Err(err(name, "no such IP predicate")),
    };
    Ok(Value::Bool(out))
}

/// `cidr(string)`.
pub fn cidr(args: &[Value]) -> Res<Value> {
    let s = string(args, 0, "cidr")?;
    parse_cidr(s).map(to_value).map_err(|e| err("cidr", e))
}

/// `isCIDR(string)`.
pub fn is_cidr(args: &[Value]) -> Res<Value> {
    Ok(Value::Bool(parse_cidr(string(args, 0, "isCIDR")?).is_ok()))
}

/// `<cidr>.containsIP(ip | string)`.
pub fn contains_ip(args: &[Value]) -> Res<Value> {
    let c = cidr_arg(args, 0, "containsIP")?;
    Ok(Value::Bool(c.contains(ip_arg(args, 1, "containsIP")?)))
}

/// `<cidr>.containsCIDR(cidr | string)`.
pub fn contains_cidr(args: &[Value]) -> Res<Value> {
    let c = cidr_arg(args, 0, "containsCIDR")?;
    let other = cidr_arg(args, 1, "containsCIDR")?;
    Ok(Value::Bool(c.bits <= other.bits && c.contains(other.addr)))
}

/// `<cidr>.ip()`: the address as written.
pub fn cidr_ip(args: &[Value]) -> Res<Value> {
    Ok(to_value(Ip(cidr_arg(args, 0, "ip")?.addr)))
}

/// `<cidr>.prefixLength()`.
pub fn prefix_length(args: &[Value]) -> Res<Value> {
    Ok(Value::Int(i64::from(
        cidr_arg(args, 0, "prefixLength")?.bits,
    )))
}

/// `<cidr>.masked()`: the network address with the host bits cleared.
pub fn masked(args: &[Value]) -> Res<Value> {
    Ok(to_value(cidr_arg(args, 0, "masked")?.masked()))
}

/// `string(ip)` and `string(cidr)`; `None` for another value.
pub fn to_string(v: &Value) -> Option<String> {
    let Value::Opaque(o) = v else { return None };
    if let Some(ip) = o.downcast_ref::<Ip>() {
        return Some(ip.0.to_string());
    }
    o.downcast_ref::<Cidr>()
        .map(|c| format!("{}/{}", c.addr, c.bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_netip_syntax() {
        assert!(parse_ip("10.0.0.1").is_ok() && parse_ip("2001:db8::1").is_ok());
        assert!(parse_ip("010.0.0.1").is_err(), "leading zeros");
        assert_eq!(
            parse_ip("fe80::1%eth0").unwrap_err(),
            "IP address \"fe80::1%eth0\" with zone value is not allowed"
        );
        assert_eq!(
            parse_ip("::ffff:1.2.3.4").unwrap_err(),
            "IPv4-mapped IPv6 address \"::ffff:1.2.3.4\" is not allowed"
        );
        assert_eq!(
            parse_ip("bad").unwrap_err(),
            "IP Address \"bad\" parse error during conversion from string: ParseAddr(\"bad\"): unable to parse IP"
        );
        assert!(parse_cidr("10.0.0.0/8").is_ok());
        assert!(parse_cidr("10.0.0.0/08").is_err());
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("10.0.0.0").is_err());
        assert!(parse_cidr("::/0").is_ok());
        let c = parse_cidr("192.168.7.9/20").unwrap();
        assert_eq!(to_string(&to_value(c.masked())).unwrap(), "192.168.0.0/20");
        assert!(c.contains("192.168.15.255".parse().unwrap()));
        assert!(!c.contains("192.168.16.0".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        assert!(
            parse_cidr("0.0.0.0/0")
                .unwrap()
                .contains("1.2.3.4".parse().unwrap())
        );
    }
}

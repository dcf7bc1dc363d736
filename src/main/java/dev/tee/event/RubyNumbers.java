package dev.tee.event;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;

/** Numbers as Fluentd prints them after its JSON parser (Oj, compat mode) read what Go posted. */
public final class RubyNumbers {

    /** Below 2^53 every integer is a double, so an integral double's shortest digits are the integer. */
    private static final double EXACT_INTEGERS = 0x1p53;

    private RubyNumbers() {
    }

    /**
     * A Struct number as it comes out of Fluentd. Go posts integral values below 1e21 as plain digits,
     * which Oj reads as a Ruby Integer and prints unchanged ("-0" is the Integer 0); everything else
     * (a fraction or an exponent) becomes a Ruby Float and is printed by Float#to_s.
     */
    static void write(double number, StringBuilder out) {
        if (Double.isNaN(number) || Double.isInfinite(number)) {
            // protojson cannot print these; EventJson posts them as strings, which stay strings.
            out.append('"').append(Double.isNaN(number) ? "NaN" : number > 0 ? "Infinity" : "-Infinity").append('"');
            return;
        }
        double abs = Math.abs(number);
        if (number == Math.rint(number) && abs < 1e21) {
            if (abs < EXACT_INTEGERS) {
                out.append((long) number);
            } else {
                out.append(shortest(number).toPlainString());
            }
            return;
        }
        writeRubyFloat(number, out);
    }

    /**
     * Ruby's Float#to_s (numeric.c flo_to_s): the shortest digits that read back as the same double,
     * plain when the decimal exponent is in [-4, 16), otherwise {@code d.ddde+XX} with at least one
     * digit after the point and a sign and at least two digits in the exponent.
     */
    static void writeRubyFloat(double number, StringBuilder out) {
        if (number == 0) {
            out.append(1 / number < 0 ? "-0.0" : "0.0");
            return;
        }
        BigDecimal shortest = shortest(number);
        String digits = shortest.unscaledValue().abs().toString();
        int pointAt = digits.length() - shortest.scale();
        if (number < 0) {
            out.append('-');
        }
        if (pointAt > 0 && pointAt <= 16) {
            if (pointAt < digits.length()) {
                out.append(digits, 0, pointAt).append('.').append(digits, pointAt, digits.length());
            } else {
                out.append(digits);
                for (int i = digits.length(); i < pointAt; i++) {
                    out.append('0');
                }
                out.append(".0");
            }
        } else if (pointAt > -4 && pointAt <= 0) {
            out.append("0.");
            for (int i = pointAt; i < 0; i++) {
                out.append('0');
            }
            out.append(digits);
        } else {
            out.append(digits.charAt(0)).append('.');
            out.append(digits.length() > 1 ? digits.substring(1) : "0");
            int exponent = pointAt - 1;
            out.append('e').append(exponent < 0 ? '-' : '+');
            if (Math.abs(exponent) < 10) {
                out.append('0');
            }
            out.append(Math.abs(exponent));
        }
    }

    /**
     * The shortest decimal that reads back as {@code number}, the closest such when several exist, as
     * David Gay's dtoa mode 0 (Ruby) picks it. Schubfach agrees except that it prefers a closer
     * 2-digit decimal over a 1-digit one, which only happens among subnormals.
     */
    private static BigDecimal shortest(double number) {
        BigDecimal decimal = new BigDecimal(DoubleToDecimal.toString(number)).stripTrailingZeros();
        if (decimal.precision() == 2) {
            BigDecimal oneDigit = new BigDecimal(number).round(new MathContext(1, RoundingMode.HALF_EVEN));
            if (Double.parseDouble(oneDigit.toString()) == number) {
                return oneDigit.stripTrailingZeros();
            }
        }
        return decimal;
    }
}

package dev.tee.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Ruby's Float#to_s, which the Panther line uses for every number that is not an integer. */
class RubyNumbersTest {

    @Test
    void formatsRubyFloatsAtTheEdgesOfPlainNotation() {
        assertThat(rubyFloat(1234567890123456.7)).isEqualTo("1234567890123456.8");
        assertThat(rubyFloat(1e15)).isEqualTo("1000000000000000.0");
        assertThat(rubyFloat(1e16)).isEqualTo("1.0e+16");
        assertThat(rubyFloat(9.5e15)).isEqualTo("9500000000000000.0");
        assertThat(rubyFloat(0.0001)).isEqualTo("0.0001");
        assertThat(rubyFloat(0.00009)).isEqualTo("9.0e-05");
        assertThat(rubyFloat(0.0)).isEqualTo("0.0");
        assertThat(rubyFloat(-0.0)).isEqualTo("-0.0");
        assertThat(rubyFloat(Double.MIN_VALUE)).isEqualTo("5.0e-324");
        assertThat(rubyFloat(1e23)).isEqualTo("1.0e+23");
    }

    private static String rubyFloat(double value) {
        StringBuilder out = new StringBuilder();
        RubyNumbers.writeRubyFloat(value, out);
        return out.toString();
    }
}
